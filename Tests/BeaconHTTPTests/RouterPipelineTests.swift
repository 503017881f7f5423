import Logging
import NIOCore
import NIOEmbedded
import Testing

@testable import BeaconHTTP
@testable import EventHub

/// The router on an `EmbeddedChannel` with the server's pipeline.
@Suite("Router pipeline")
struct RouterPipelineTests {
    /// The server's own pipeline (head guard, decoder, encoder, router) on an embedded channel.
    private func channel(_ hub: EventHub) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        let settings = RouterSettings(hub: hub, status: FixedStatus(), cors: CORSPolicy(origins: []), logger: Logger(label: "test"))
        try BeaconServer.configure(
            channel, settings: settings, limits: RequestHeadGuard.Limits(BeaconServerConfiguration()), shedding: false
        ).wait()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    private func output(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) { text += String(buffer: buffer) }
        return text
    }

    @Test func streamingConnectionKeepsOnlyTheSubscriber() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        hub.addStream("a")
        let channel = try self.channel(hub)
        try channel.writeInbound(ByteBuffer(string: "GET /events/a HTTP/1.1\r\nHost: x\r\n\r\n"))
        let text = try self.output(channel)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(text.hasSuffix("\r\n\r\nd\r\nretry: 3000\n\n\r\n"))
        #expect((try? channel.pipeline.syncOperations.context(handlerType: RequestRouter.self)) == nil)
        #expect((try? channel.pipeline.syncOperations.context(handlerType: RequestHeadGuard.self)) == nil)
        #expect((try? channel.pipeline.syncOperations.context(handlerType: SSESubscriber.self)) != nil)
        // The request decoder leaves on the loop's next tick (NIO defers it out of its own decode).
        channel.embeddedEventLoop.run()
        // Socket head, the subscriber, socket tail: nothing else.
        #expect(!channel.pipeline.debugDescription.contains("HTTP"))
        // Later bytes from the client are dropped, not parsed.
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\n\r\n"))
        #expect(try self.output(channel) == "")
        #expect(hub.subscriberCount == 1)
        _ = try? channel.finish()
        #expect(hub.subscriberCount == 0)
    }

    @Test func keepAliveRequestsAreAnsweredInOrder() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        let channel = try self.channel(hub)
        try channel.writeInbound(ByteBuffer(string: "GET /healthz HTTP/1.1\r\n\r\nGET /nope HTTP/1.1\r\n\r\n"))
        let text = try self.output(channel)
        let first = try #require(text.firstRange(of: "HTTP/1.1 200 OK"))
        let second = try #require(text.firstRange(of: "HTTP/1.1 404 Not Found"))
        #expect(first.lowerBound < second.lowerBound)
        #expect(channel.isActive)
        _ = try? channel.finish()
    }
}
