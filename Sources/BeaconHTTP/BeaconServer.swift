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
///
/// A connection's pipeline while it speaks HTTP: the head guard (request-line and header limits,
/// header timeout), NIO's response encoder and request decoder, the header validator, and the
/// router. Once it becomes an event stream: the hub's subscriber alone.
public final class BeaconServer: Sendable {
    private let configuration: BeaconServerConfiguration
    private let hub: EventHub
    private let status: any StatusSource
    private let logger: Logger
    let connections: ConnectionTracker
    private let running = NIOLockedValueBox(Running())

    private struct Running {
        var group: MultiThreadedEventLoopGroup?
        var listener: (any Channel)?
    }

    /// Creates a server; nothing is bound until ``start()``. The server logs the hub's stalled
    /// subscribers (``EventHub/onStalledDisconnect(_:)``).
    public init(configuration: BeaconServerConfiguration, hub: EventHub, status: any StatusSource, logger: Logger) {
        self.configuration = configuration
        self.hub = hub
        self.status = status
        self.logger = logger
        self.connections = ConnectionTracker(
            maxConnections: configuration.maxConnections, maxPerIP: configuration.maxConnectionsPerIP, logger: logger)
        hub.onStalledDisconnect { stall in
            logger.warning(
                "disconnected stalled subscriber \(stall.peer): not reading for \(Self.seconds(stall.unwritableSeconds)) s",
                metadata: [
                    "peer": "\(stall.peer)", "unwritable_seconds": "\(Self.seconds(stall.unwritableSeconds))",
                    "pending_events": "\(stall.pendingEvents)",
                ])
        }
    }

    private static func seconds(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }

    /// Connections open now that are being served (turned-away ones not included).
    public var openConnections: Int { self.connections.servedCount }

    /// Connections turned away since the start because a connection limit was reached.
    public var rejectedConnections: Int { self.connections.rejectedConnections }

    /// Binds and starts accepting; returns the port actually bound (useful with port 0).
    public func start() async throws -> Int {
        self.checkDescriptorLimit()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: UsableCores.count)
        let connections = self.connections
        let limits = RequestHeadGuard.Limits(self.configuration)
        let settings = RouterSettings(
            hub: self.hub, status: self.status, cors: CORSPolicy(origins: self.configuration.corsOrigins),
            logger: self.logger, auth: TokenAuthenticator(tokens: self.configuration.tokens),
            headLimitBytes: limits.requestLineBytes + limits.headerBytes)
        let buffer = max(2, self.configuration.clientBufferBytes)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 4096)
            .serverChannelOption(.maxMessagesPerRead, value: 64)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 4)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: buffer / 2, high: buffer))
            .childChannelInitializer { channel in
                let admission = connections.admit(channel)
                guard admission != .drop else { return channel.eventLoop.makeFailedFuture(ConnectionDropped()) }
                return Self.configure(channel, settings: settings, limits: limits, shedding: admission == .shed)
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

    /// Every connection is a descriptor: raise the soft limit so the connection limit, not the
    /// kernel, is what turns clients away; warn when the hard limit is lower.
    private func checkDescriptorLimit() {
        let maxConnections = self.configuration.maxConnections
        guard maxConnections > 0 else { return }
        let needed = maxConnections + self.connections.maxShedding + 256
        let available = DescriptorLimit.raise(to: needed)
        if available < needed {
            self.logger.warning(
                "open-file limit \(available) is below what \(maxConnections) connections need (\(needed)); raise it (LimitNOFILE=, ulimit -n) or lower the connection limit"
            )
        }
    }

    /// Sets up a new connection's HTTP pipeline. On the channel's event loop.
    static func configure(
        _ channel: any Channel, settings: RouterSettings, limits: RequestHeadGuard.Limits, shedding: Bool
    ) -> EventLoopFuture<Void> {
        // Backstop limits behind the head guard's own (which stops counting on pipelined input).
        var decoderLimits = NIOHTTPDecoderLimitConfiguration()
        decoderLimits.maxHeaderFieldSize = max(limits.requestLineBytes, limits.headerBytes)
        decoderLimits.maxHeaderListSize = limits.requestLineBytes + limits.headerBytes
        decoderLimits.maxHeaderFieldCount = 1000
        return channel.pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withDecoderLimitConfiguration: decoderLimits
        ).flatMapThrowing {
            let pipeline = channel.pipeline.syncOperations
            let headGuard = RequestHeadGuard(limits: limits)
            try pipeline.addHandler(headGuard, position: .first)
            try pipeline.addHandler(RequestRouter(settings: settings, shedding: shedding, headGuard: headGuard))
        }
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
