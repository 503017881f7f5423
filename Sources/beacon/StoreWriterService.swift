import EventStore
import Logging
import ServiceLifecycle

/// The event store's writer under the service group: stopped last, it writes what the other
/// services published while they stopped, for at most `shutdownTimeout` seconds.
struct StoreWriterService: Service {
    let writer: StoreWriter
    let shutdownTimeout: Double
    let logger: Logger

    func run() async {
        try? await gracefulShutdown()
        let unwritten = await writer.close(timeout: shutdownTimeout)
        if unwritten > 0 { logger.error("\(unwritten) events could not be written to the event store before exiting") }
    }
}
