import Logging
import PluginHost
import ServiceLifecycle
import UnixSignals

/// SIGHUP under the service group: each signal re-reads the config file and reloads the plugins
/// folder in the background, until graceful shutdown.
struct ReloadService: Service {
    /// Registered before the server listens, so that no SIGHUP sent once it listens is lost.
    let signals: UnixSignalsSequence
    let config: ConfigReloader
    let pluginHost: PluginHost
    /// What the log names as reloaded.
    let configPath: String?
    let pluginsPath: String
    let logger: Logger
    /// Called after each reload (a cluster node tells the others what its folder holds now).
    var reloaded: @Sendable () -> Void = {}

    func run() async {
        for await _ in signals.cancelOnGracefulShutdown() {
            logger.info("SIGHUP: reloading \(configPath.map { "\($0) and " } ?? "")\(pluginsPath)")
            config.reload()
            pluginHost.requestReload { [logger, reloaded] summary in
                logger.info("reload done: \(summary)", metadata: summary.metadata)
                reloaded()
            }
        }
        logger.info("shutting down")
    }
}
