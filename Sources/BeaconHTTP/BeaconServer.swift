public import EventHub
public import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// The HTTP/1.1 server: status endpoints, dashboard, and Server-Sent Event streams fed by a hub.
///
/// Connections are classic NIO channel pipelines rather than `NIOAsyncChannel`s on purpose: an
/// event stream's pipeline is rebuilt in place so that the hub's fan-out writes pre-framed chunks
/// straight to the socket.
public final class BeaconServer: Sendable {
    private let configuration: BeaconServerConfiguration
    private let hub: EventHub
    private let status: any StatusSource
    private let logger: Logger
    private let connections = ConnectionTracker()
    private let running = NIOLockedValueBox(Running())

    private struct Running {
        var group: MultiThreadedEventLoopGroup?
        var listener: (any Channel)?
    }

    /// Creates a server; nothing is bound until ``start()``.
    public init(configuration: BeaconServerConfiguration, hub: EventHub, status: any StatusSource, logger: Logger) {
        self.configuration = configuration
        self.hub = hub
        self.status = status
        self.logger = logger
    }

    /// Binds and starts accepting; returns the port actually bound (useful with port 0).
    public func start() async throws -> Int {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)
        let (hub, status, logger, connections) = (self.hub, self.status, self.logger, self.connections)
        let cors = CORSPolicy(origins: self.configuration.corsOrigins)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.configureHTTPServerPipeline(withPipeliningAssistance: false, withErrorHandling: false)
                    try pipeline.addHandler(RequestRouter(hub: hub, status: status, cors: cors, logger: logger))
                    connections.track(channel)
                }
            }
        let listener: any Channel
        do {
            listener = try await bootstrap.bind(host: self.configuration.host, port: self.configuration.port).get()
        } catch {
            // The caller reports the error; nothing is left running.
            try? await group.shutdownGracefully()
            throw error
        }
        self.running.withLockedValue {
            $0.group = group
            $0.listener = listener
        }
        let port = listener.localAddress?.port ?? self.configuration.port
        self.logger.debug("HTTP server bound", metadata: ["address": "\(self.configuration.host):\(port)"])
        return port
    }

    /// Stops accepting and closes every connection. Call `hub.shutdown` first so streams end with
    /// `done`: that is queued on the event loops before these closes, so it is written first.
    public func shutdown() async throws {
        let (group, listener) = self.running.withLockedValue { running in
            defer { running = Running() }
            return (running.group, running.listener)
        }
        guard let group else { return }
        try? await listener?.close()
        for channel in self.connections.channels {
            try? await channel.close()
        }
        try await group.shutdownGracefully()
        self.logger.debug("HTTP server stopped")
    }
}
