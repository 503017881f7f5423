import EventHub
import NIOCore
import NIOPosix
import Synchronization

/// N real subscribers on loopback TCP: a server event loop whose accepted connections subscribe
/// to one stream through `EventHub.subscribe` (the subscriber handler first in the pipeline, as in
/// Beacon), and a client event loop on the other side that reads and discards what arrives.
final class FanoutBed: Sendable {
    static let stream = "trivial"

    let hub: EventHub
    let subscribers: Int
    /// The event loop every subscriber lives on (Beacon spreads them over one loop per core; one
    /// loop here makes the per-subscriber cost the whole drain divided by N).
    let loop: any EventLoop
    private let serverGroup: MultiThreadedEventLoopGroup
    private let clientGroup: MultiThreadedEventLoopGroup
    private let channels: Mutex<[any Channel]>
    /// Bytes the clients have read so far.
    let received: Atomic<Int>

    init(subscribers: Int) throws {
        self.subscribers = subscribers
        self.hub = EventHub(configuration: EventHubConfiguration(heartbeatSeconds: 0, stallTimeout: 0))
        self.hub.addStream(Self.stream)
        self.serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.loop = self.serverGroup.next()
        self.channels = Mutex([])
        self.received = Atomic(0)

        let hub = self.hub
        let listener = try ServerBootstrap(group: self.serverGroup)
            .serverChannelOption(.backlog, value: 1024)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Subscribe(hub: hub))
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        self.channels.withLock { $0.append(listener) }
        guard let port = listener.localAddress?.port else { throw FanoutBedError.notListening }

        let client = ClientBootstrap(group: self.clientGroup)
            .channelInitializer { [self] channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(Discard(bed: self))
                }
            }
        for _ in 0..<subscribers {
            let channel = try client.connect(host: "127.0.0.1", port: port).wait()
            self.channels.withLock { $0.append(channel) }
        }
        let deadline = NIODeadline.now() + .seconds(30)
        while hub.subscriberCount < subscribers {
            guard NIODeadline.now() < deadline else { throw FanoutBedError.subscribersMissing(hub.subscriberCount) }
            try self.loop.submit {}.wait()
        }
    }

    /// Publishes one event and returns once the subscribers' event loop has written it to every
    /// subscriber (the drain is queued on the loop before the task this waits for). Returns the
    /// loop thread's CPU nanoseconds for the fan-out.
    func publishAndWait(_ data: [UInt8]) throws -> Int {
        let before = try self.loop.submit { ThreadCPU.now() }.wait()
        self.hub.publish(stream: Self.stream, event: Self.stream, json: data)
        let after = try self.loop.submit { ThreadCPU.now() }.wait()
        return after - before
    }

    func shutdown() {
        let channels = self.channels.withLock { $0 }
        for channel in channels { try? channel.close().wait() }
        try? self.clientGroup.syncShutdownGracefully()
        try? self.serverGroup.syncShutdownGracefully()
    }

    /// Subscribes each accepted connection once it is active.
    private final class Subscribe: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let hub: EventHub

        init(hub: EventHub) { self.hub = hub }

        func channelActive(context: ChannelHandlerContext) {
            _ = self.hub.subscribe(
                channel: context.channel, scope: .stream(FanoutBed.stream), lastEventID: nil, chunked: true
            ) { _ in }
            context.fireChannelActive()
        }
    }

    /// The client side: counts and drops what the server sends.
    private final class Discard: ChannelInboundHandler, Sendable {
        typealias InboundIn = ByteBuffer
        let bed: FanoutBed

        init(bed: FanoutBed) { self.bed = bed }

        func channelRead(context: ChannelHandlerContext, data: NIOAny) {
            let bytes = self.unwrapInboundIn(data).readableBytes
            self.bed.received.add(bytes, ordering: .relaxed)
        }
    }
}

enum FanoutBedError: Error {
    case notListening
    case subscribersMissing(Int)
}
