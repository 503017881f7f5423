import NIOCore
import Testing

@testable import BeaconHTTP
@testable import EventHub

@Suite("Slow and stalled clients over real sockets")
struct SlowClientTests {
    /// `{"pad":"xxx…","n":N}`: several KiB, and the end of the message names N.
    private static func big(_ n: Int) -> [UInt8] {
        Array("{\"pad\":\"\(String(repeating: "x", count: 4096))\",\"n\":\(n)}".utf8)
    }

    /// Whether event `n` is among the last bytes (only heartbeat comments may follow it).
    private static func ends(_ bytes: [UInt8], withEvent n: Int) -> Bool {
        let end = Array("\"n\":\(n)}\n\n\r\n".utf8)
        let tail = Array(bytes.suffix(512))
        return RawResponse.find(end, in: tail, from: 0) != nil
    }

    /// A client that never reads while multi-KiB events flow: its pending list stays at one event
    /// per stream, it is cut once unwritable for longer than the stall timeout (logged, counted),
    /// and a reading client on the same streams gets every event throughout.
    @Test func stalledSubscriberIsBoundedThenCutWhileReadersKeepReceiving() async throws {
        let stallTimeout = 0.6
        let server = try await TestServer.start(
            hub: EventHubConfiguration(heartbeatSeconds: 0.05, stallTimeout: stallTimeout),
            server: BeaconServerConfiguration(clientBufferBytes: 16 * 1024))
        let stalled = try server.client(receiveBuffer: 4096)
        try stalled.request("GET", "/events")
        #expect(stalled.read { RawResponse($0)?.chunks.count == 1 })
        let reader = try server.client()
        try reader.request("GET", "/events?plugin=a&plugin=b")
        #expect(reader.read { RawResponse($0)?.chunks.count == 1 })
        #expect(server.hub.subscriberCount == 2)

        var published = 0
        var maxPending = 0
        var readerKeptUp = true
        var stalledSince: Double?
        let start = RawClient.now()
        // Bounded: at most 6,000 events (24 MiB) and 60 s. Loopback's autotuned socket buffers take
        // about 3 MiB before the connection turns unwritable; a busy machine only makes this slower.
        while server.hub.stalledDisconnects == 0, published < 6000, RawClient.now() - start < 60 {
            for _ in 0..<8 {
                published += 1
                server.hub.publish(stream: published % 2 == 0 ? "a" : "b", event: "big", json: Self.big(published))
            }
            let target = published
            let caughtUp = reader.read(timeout: 5) { Self.ends($0, withEvent: target) }
            readerKeptUp = readerKeptUp && caughtUp
            let pending = try await server.hub.pendingCounts()
            maxPending = max(maxPending, pending.max() ?? 0)
            if stalledSince == nil, pending.contains(where: { $0 > 0 }) { stalledSince = RawClient.now() }
            if stalledSince != nil { try await Task.sleep(for: .milliseconds(25)) }
        }
        let cutAfter = stalledSince.map { RawClient.now() - $0 }

        #expect(stalledSince != nil, "the stalled client's connection became unwritable")
        #expect(server.hub.stalledDisconnects == 1)
        #expect(maxPending == 2, "one pending event per stream, never more")
        #expect(server.hub.conflatedEvents > 0)
        #expect(readerKeptUp)
        if let cutAfter {
            // Unwritable before we saw pending events; cut within stall timeout + one tick + slack.
            #expect(cutAfter < stallTimeout + 2)
        }
        #expect(await TestServer.eventually { server.hub.subscriberCount == 1 })
        #expect(stalled.readToEOF(timeout: 10), "the stalled client's connection was closed")

        // One log line naming the peer and how long it had not been reading.
        let lines = server.logs.all.filter { $0.message.contains("stalled subscriber") }
        #expect(lines.count == 1)
        let line = try #require(lines.first)
        #expect(line.level == .warning)
        #expect(line.metadata["peer"]?.hasPrefix("127.0.0.1:") == true)
        let seconds = try #require(line.metadata["unwritable_seconds"].flatMap(Double.init))
        #expect(seconds >= stallTimeout)

        // The reader got every event, in order, and keeps receiving.
        let events = reader.response?.events.filter { $0.event == "big" } ?? []
        let numbers = events.compactMap { $0.data.split(separator: ":").last.flatMap { Int($0.dropLast()) } }
        #expect(numbers == Array(1...published))
        server.publish("a", -1)
        #expect(reader.read { Self.endsWithSmall($0) })
        try await server.stop()
    }

    private static func endsWithSmall(_ bytes: [UInt8]) -> Bool {
        RawResponse.find(Array("data: {\"n\":-1}\n\n\r\n".utf8), in: Array(bytes.suffix(512)), from: 0) != nil
    }

    /// The client buffer is the connection's high water mark: a subscriber that does not read
    /// goes unwritable (and conflates) once about that much is waiting in the server.
    @Test func clientBufferSetsTheWaterMark() async throws {
        let server = try await TestServer.start(server: BeaconServerConfiguration(clientBufferBytes: 8 * 1024))
        let client = try server.client(receiveBuffer: 4096)
        try client.request("GET", "/events/a")
        #expect(client.read { RawResponse($0)?.chunks.count == 1 })
        let channel = try #require(server.server.connections.channels.first)
        let marks = try await channel.getOption(.writeBufferWaterMark).get()
        #expect(marks.high == 8 * 1024)
        #expect(marks.low == 4 * 1024)
        try await server.stop()
    }
}
