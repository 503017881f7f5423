import Logging
import ServiceLifecycle

/// This node's part in the cluster under the service group: it joins when the server listens
/// (``HTTPServerService``); on graceful shutdown, after the plugins have stopped, it commits
/// what they produced and gives its leases back, so the other nodes take its plugins at once.
struct ClusterService: Service {
    let cluster: ClusterRun
    let shutdownTimeout: Double
    let logger: Logger

    func run() async {
        try? await gracefulShutdown()
        let uncommitted = cluster.stop(timeout: shutdownTimeout)
        if uncommitted > 0 { logger.error("\(uncommitted) results could not be committed to PostgreSQL before exiting") }
    }
}
