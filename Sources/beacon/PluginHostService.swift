import Logging
import PluginHost
import ServiceLifecycle

/// The plugin host under the service group. It is started before the group runs (a folder that
/// cannot be read stops Beacon before it listens); on graceful shutdown it stops every timer
/// and gives the running checks up to `shutdownTimeout` seconds to finish.
struct PluginHostService: Service {
    let host: PluginHost
    let shutdownTimeout: Double
    let logger: Logger

    func run() async {
        // Returns on graceful shutdown, or throws when the group is cancelled: the host stops either way.
        try? await gracefulShutdown()
        if !(await host.stop(timeout: shutdownTimeout)) {
            logger.warning("some checks were still running after \(shutdownTimeout) s; exiting without them")
        }
    }
}
