import BeaconHTTP
import EventHub
import Logging
import ServiceLifecycle

/// The HTTP server and the event hub under the service group: listens until graceful
/// shutdown, then ends every stream with `done` (`reason: "shutdown"`) and closes every connection.
struct HTTPServerService: Service {
    let server: BeaconServer
    let hub: EventHub
    /// The configured address, for the log line and the error.
    let host: String
    let port: Int
    let logger: Logger
    /// Called with the address shown and the bound port once the server listens.
    var listening: @Sendable (String, Int) -> Void = { _, _ in }

    /// The server could not listen.
    struct ListenError: Error, CustomStringConvertible {
        let description: String
    }

    func run() async throws {
        let boundPort: Int
        do {
            boundPort = try await server.start()
        } catch {
            throw ListenError(description: "cannot listen on \(host):\(port): \(error)")
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        logger.info("listening on http://\(shownHost):\(boundPort)")
        listening(shownHost, boundPort)
        try? await gracefulShutdown()
        hub.shutdown(reason: .shutdown)
        try await server.shutdown()
    }
}
