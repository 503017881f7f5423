import NIOCore
import NIOEmbedded
import Synchronization
import Testing

@testable import EventHub

/// Handler-level tests of the subscriber on an `EmbeddedChannel` (synchronous: one thread).
@Suite("SSE subscriber on EmbeddedChannel")
struct SSESubscriberTests {
    private func attach(_ hub: EventHub, scope: SubscriptionScope, on loop: EmbeddedEventLoop? = nil) throws -> EmbeddedChannel {
        let channel = loop.map { EmbeddedChannel(loop: $0) } ?? EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var heads: [ResumeOutcome] = []
        var result: Result<ResumeOutcome, SubscribeRefusal>?
        hub.subscribe(
            channel: channel, scope: scope, lastEventID: nil, chunked: true, writeHead: { heads.append($0) },
            finished: { result = $0 })
        #expect(result == .success(.none))
        #expect(heads == [.none])
        return channel
    }

    private func written(_ channel: EmbeddedChannel) throws -> String {
        var text = ""
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            text += String(buffer: buffer)
        }
        return text
    }

    @Test func writesPreFramedChunksStraightToTheSocket() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 5000)
        hub.addStream("a")
        let channel = try self.attach(hub, scope: .stream("a"))
        #expect(try self.written(channel) == "d\r\nretry: 3000\n\n\r\n")
        hub.publish(stream: "a", event: "status", json: Array("{\"ok\":true}".utf8))
        (channel.eventLoop as? EmbeddedEventLoop)?.run()
        let sse = "id: 5000\nevent: status\ndata: {\"ok\":true}\n\n"
        #expect(try self.written(channel) == String(sse.utf8.count, radix: 16) + "\r\n" + sse + "\r\n")
        #expect(hub.subscriberCount == 1)
        _ = try channel.finish()
        #expect(hub.subscriberCount == 0)
    }

    /// The subscribers of one event loop share one delivery loop, which looks ahead one and two
    /// places to prefetch: every count from one up, stream and all-stream subscribers mixed, gets
    /// each event exactly once and in order, including after one of them has gone.
    @Test(arguments: [1, 2, 3, 5])
    func everySubscriberOfOneLoopGetsEachEventOnce(count: Int) throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        hub.addStream("a")
        hub.addStream("b")
        let loop = EmbeddedEventLoop()
        let scopes: [SubscriptionScope] = (0..<count).map { $0 % 2 == 0 ? .stream("a") : .all }
        let channels = try scopes.map { try self.attach(hub, scope: $0, on: loop) }
        for channel in channels { _ = try self.written(channel) }
        for (stream, value) in [("a", 1), ("b", 2), ("a", 3)] {
            hub.publish(stream: stream, event: "status", json: Array("{\"n\":\(value)}".utf8))
        }
        loop.run()
        for (channel, scope) in zip(channels, scopes) {
            let expected = scope == .all ? ["{\"n\":1}", "{\"n\":2}", "{\"n\":3}"] : ["{\"n\":1}", "{\"n\":3}"]
            #expect(SSEParserLite.dataLines(try self.written(channel)) == expected)
        }

        _ = try channels[0].finish()
        hub.publish(stream: "a", event: "status", json: Array("{\"n\":4}".utf8))
        loop.run()
        #expect(hub.subscriberCount == count - 1)
        for channel in channels.dropFirst() {
            #expect(SSEParserLite.dataLines(try self.written(channel)) == ["{\"n\":4}"])
        }
    }

    /// Heartbeats are for idle streams: a stream that carried an event since the last beat gets
    /// none at the next one, and gets one again once it has been idle for a whole interval.
    @Test func heartbeatsGoOnlyToIdleStreams() throws {
        let hub = EventHub(configuration: EventHubConfiguration(heartbeatSeconds: 1, stallTimeout: 30), idBase: 1)
        hub.addStream("a")
        hub.addStream("b")
        let busy = try self.attach(hub, scope: .stream("a"))
        let idle = try self.attach(hub, scope: .stream("b"))
        let loops = [busy, idle].compactMap { $0.eventLoop as? EmbeddedEventLoop }
        #expect(loops.count == 2)
        _ = try self.written(busy)
        _ = try self.written(idle)
        let beat = "e\r\n: keep-alive\n\n\r\n"

        for loop in loops { loop.advanceTime(by: .seconds(1)) }
        #expect(try self.written(busy) == beat)
        #expect(try self.written(idle) == beat)

        hub.publish(stream: "a", event: "status", json: Array("1".utf8))
        for loop in loops { loop.advanceTime(by: .seconds(1)) }
        let afterEvent = try self.written(busy)
        #expect(afterEvent.contains("data: 1\n\n") && !afterEvent.contains("keep-alive"), "\(afterEvent)")
        #expect(try self.written(idle) == beat)

        for loop in loops { loop.advanceTime(by: .seconds(1)) }
        #expect(try self.written(busy) == beat)
        #expect(try self.written(idle) == beat)
        _ = try busy.finish()
        _ = try idle.finish()
    }

    @Test func unwritableSubscriberConflatesToNewestPerStream() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        hub.addStream("a")
        hub.addStream("b")
        let channel = try self.attach(hub, scope: .all)
        let loop = try #require(channel.eventLoop as? EmbeddedEventLoop)
        _ = try self.written(channel)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        for n in 1...50 {
            hub.publish(stream: n % 2 == 0 ? "a" : "b", event: "e", json: Array("\(n)".utf8))
        }
        loop.run()
        #expect(try self.written(channel) == "")
        let fanout = try #require(hub.registry.withLockedValue { $0.fanouts.first })
        #expect(fanout.pendingCounts() == [2])
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        let text = try self.written(channel)
        let data = SSEParserLite.dataLines(text)
        #expect(data == ["49", "50"])
        #expect(fanout.pendingCounts() == [0])
        _ = try channel.finish()
    }

    /// The stall check runs on the fan-out's tick (virtual time on the embedded loop): unwritable
    /// past the timeout is cut and counted once; writable again in time is not.
    @Test func stallTimeoutCutsOnlyASubscriberThatStaysUnwritable() throws {
        let hub = EventHub(configuration: EventHubConfiguration(heartbeatSeconds: 0, stallTimeout: 1), idBase: 1)
        hub.addStream("a")
        let stalls = StallRecorder()
        hub.onStalledDisconnect { stalls.append($0) }
        let steady = try self.attach(hub, scope: .stream("a"))
        let stuck = try self.attach(hub, scope: .stream("a"))
        // Both channels run on their own embedded loops; drive each one's virtual clock.
        let steadyLoop = try #require(steady.eventLoop as? EmbeddedEventLoop)
        let stuckLoop = try #require(stuck.eventLoop as? EmbeddedEventLoop)
        for channel in [steady, stuck] {
            channel.isWritable = false
            channel.pipeline.fireChannelWritabilityChanged()
        }
        hub.publish(stream: "a", event: "e", json: Array("1".utf8))
        hub.publish(stream: "a", event: "e", json: Array("2".utf8))
        steadyLoop.advanceTime(by: .milliseconds(600))
        stuckLoop.advanceTime(by: .milliseconds(600))
        // `steady` drains in time: its clock restarts.
        steady.isWritable = true
        steady.pipeline.fireChannelWritabilityChanged()
        steady.isWritable = false
        steady.pipeline.fireChannelWritabilityChanged()
        steadyLoop.advanceTime(by: .milliseconds(900))
        stuckLoop.advanceTime(by: .milliseconds(900))
        #expect(steady.isActive)
        #expect(!stuck.isActive)
        #expect(hub.stalledDisconnects == 1)
        #expect(hub.conflatedEvents == 2, "event 1 was superseded by event 2 on both subscribers")
        let stall = try #require(stalls.all.first)
        #expect(stalls.all.count == 1)
        #expect(stall.peer == "127.0.0.1:1")
        #expect(stall.pendingEvents == 1)
        #expect(stall.unwritableSeconds > 1 && stall.unwritableSeconds <= 1.5)
        _ = try? steady.finish()
        _ = try? stuck.finish()
        #expect(hub.subscriberCount == 0)
    }

    @Test func doneEndsSingleStreamSubscriberWithLastChunk() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        hub.addStream("a")
        let channel = try self.attach(hub, scope: .stream("a"))
        _ = try self.written(channel)
        hub.removeStream("a", reason: .removed)
        (channel.eventLoop as? EmbeddedEventLoop)?.run()
        let text = try self.written(channel)
        #expect(text.hasSuffix("event: done\ndata: {\"plugin\":\"a\",\"reason\":\"removed\"}\n\n\r\n0\r\n\r\n"))
        #expect(!channel.isActive)
        #expect(hub.subscriberCount == 0)
    }

    @Test func unknownAndShutDownAreRefused() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        hub.addStream("a")
        let channel = EmbeddedChannel()
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        var wroteHead = false
        var unknown: Result<ResumeOutcome, SubscribeRefusal>?
        hub.subscribe(
            channel: channel, scope: .streams(["a", "x", "y"]), lastEventID: nil, chunked: true,
            writeHead: { _ in wroteHead = true }, finished: { unknown = $0 })
        #expect(unknown == .failure(.unknownStreams(["x", "y"])))
        hub.shutdown(reason: .shutdown)
        var late: Result<ResumeOutcome, SubscribeRefusal>?
        hub.subscribe(
            channel: channel, scope: .all, lastEventID: nil, chunked: true, writeHead: { _ in wroteHead = true },
            finished: { late = $0 })
        #expect(late == .failure(.shuttingDown))
        #expect(!wroteHead)
        #expect(hub.subscriberCount == 0)
        _ = try channel.finish()
    }
}

/// Stall reports, collected from any thread.
final class StallRecorder: Sendable {
    private let stalls = Mutex<[StalledSubscriber]>([])
    var all: [StalledSubscriber] { self.stalls.withLock { $0 } }
    func append(_ stall: StalledSubscriber) { self.stalls.withLock { $0.append(stall) } }
}

/// The `data:` values of a chunked SSE text, for short assertions.
enum SSEParserLite {
    static func dataLines(_ text: String) -> [String] {
        text.split(separator: "\n").compactMap { line in
            line.hasPrefix("data: ") ? String(line.dropFirst(6)) : nil
        }
    }
}
