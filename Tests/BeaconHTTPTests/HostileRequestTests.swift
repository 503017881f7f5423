#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Testing

@testable import BeaconHTTP
@testable import EventHub

@Suite("Hostile requests over raw sockets")
struct HostileRequestTests {
    private static let quick = BeaconServerConfiguration(headerTimeout: 0.3)

    // MARK: Header timeout

    /// Slowloris: part of a head, then nothing. Answered 408 and closed after the timeout.
    @Test func incompleteHeadIsAnswered408AfterTheHeaderTimeout() async throws {
        let server = try await TestServer.start(server: Self.quick)
        let client = try server.client()
        let start = RawClient.now()
        try client.send("GET /events/a HTTP/1.1\r\nHost: x\r\n")
        #expect(client.readToEOF(timeout: 5))
        let elapsed = RawClient.now() - start
        #expect(elapsed >= 0.25 && elapsed < 3)
        #expect(client.response?.status == 408)
        #expect(client.response?.header("Connection") == "close")
        #expect(server.hub.subscriberCount == 0)
        try await server.stop()
    }

    /// Dribbling header lines does not reset the clock: the whole head must arrive in time.
    @Test func dribbledHeadersDoNotExtendTheTimeout() async throws {
        let server = try await TestServer.start(server: Self.quick)
        let client = try server.client()
        let start = RawClient.now()
        try client.send("GET /healthz HTTP/1.1\r\n")
        var sent = 0
        while sent < 30, !client.sawEOF {
            try? client.send("X-Slow-\(sent): 1\r\n")
            sent += 1
            client.read(timeout: 0.05) { _ in false }
        }
        #expect(client.readToEOF(timeout: 5))
        #expect(RawClient.now() - start < 3)
        #expect(sent < 30)
        #expect(client.response?.status == 408)
        try await server.stop()
    }

    @Test func idleConnectionsAreClosedSilently() async throws {
        let server = try await TestServer.start(server: Self.quick)
        let silent = try server.client()
        #expect(silent.readToEOF(timeout: 5))
        #expect(silent.received.isEmpty)
        // Keep-alive: a served request, then idle, closes after the timeout too.
        let keepAlive = try server.client()
        try keepAlive.request("GET", "/healthz")
        #expect(keepAlive.read { RawResponse($0)?.bodyText == "{\"status\":\"ok\"}" })
        #expect(keepAlive.readToEOF(timeout: 5))
        #expect(keepAlive.response?.status == 200)
        #expect(await TestServer.eventually { server.server.openConnections == 0 })
        try await server.stop()
    }

    /// The timeout only guards request heads: a stream stays open however long it lasts, and a
    /// keep-alive connection that keeps asking in time is kept.
    @Test func streamsAndActiveKeepAliveConnectionsOutliveTheTimeout() async throws {
        let server = try await TestServer.start(server: BeaconServerConfiguration(headerTimeout: 0.5))
        let stream = try server.client()
        try stream.request("GET", "/events/a")
        #expect(stream.read { RawResponse($0)?.chunks.count == 1 })
        let keepAlive = try server.client()
        for round in 1...5 {
            try keepAlive.request("GET", "/healthz")
            #expect(
                keepAlive.read { String(decoding: $0, as: UTF8.self).components("{\"status\":\"ok\"}") == round },
                "\(String(decoding: keepAlive.received, as: UTF8.self))")
            // A blocking sleep: a task's sleep may oversleep while parallel tests hold the threads.
            usleep(200_000)
        }
        // 5 × 200 ms: longer than the timeout, which each answer restarted.
        #expect(!keepAlive.sawEOF)
        server.publish("a", 1)
        #expect(stream.readEvents(1).map(\.data) == ["{\"n\":1}"])
        #expect(!stream.sawEOF)
        try await server.stop()
    }

    // MARK: Size limits

    @Test func overlongRequestLineIs414() async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        try client.request("GET", "/events/" + String(repeating: "a", count: 9000))
        #expect(client.readToEOF())
        #expect(client.response?.status == 414)
        #expect(client.response?.bodyText == "{\"error\":\"request line too long\",\"limit_bytes\":8192}")
        // Refused as soon as the limit is passed, without waiting for the line to end.
        let endless = try server.client()
        try endless.send("GET /" + String(repeating: "b", count: 8300))
        #expect(endless.readToEOF())
        #expect(endless.response?.status == 414)
        // Just under the limit is a normal request.
        let long = try server.client()
        try long.request("GET", "/plugins/" + String(repeating: "c", count: 8000))
        #expect(long.read { RawResponse($0).map { $0.body.count >= Int($0.header("Content-Length") ?? "1")! } ?? false })
        #expect(long.response?.status == 404)
        try await server.stop()
    }

    @Test func oversizedHeadersAre431() async throws {
        let server = try await TestServer.start()
        let many = (0..<5).map { "X-Filler-\($0): " + String(repeating: "v", count: 7000) }
        let client = try server.client()
        try client.request("GET", "/healthz", headers: many)
        #expect(client.readToEOF())
        #expect(client.response?.status == 431)
        #expect(client.response?.bodyText == "{\"error\":\"request headers too large\",\"limit_bytes\":32768}")
        let one = try server.client()
        try one.request("GET", "/events/a", headers: ["Cookie: " + String(repeating: "z", count: 40_000)])
        #expect(one.readToEOF())
        #expect(one.response?.status == 431)
        // Headers of 30 KiB are fine.
        let fine = try server.client()
        try fine.request("GET", "/healthz", headers: Array(many.prefix(4)))
        #expect(fine.read { RawResponse($0)?.bodyText == "{\"status\":\"ok\"}" })
        #expect(server.hub.subscriberCount == 0)
        try await server.stop()
    }

    /// A request sent ahead of the previous answer (pipelining) is past the guard's byte counting;
    /// the decoder's own limit (request line plus headers) still refuses a huge head, with 431.
    @Test func pipelinedHugeHeadHitsTheDecoderBackstop() async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        let huge = "X-Huge: " + String(repeating: "h", count: 45_000)
        try client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\(huge)\r\n\r\n")
        #expect(client.readToEOF())
        let text = String(decoding: client.received, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK"))
        #expect(text.contains("HTTP/1.1 431 Request Header Fields Too Large"))
        try await server.stop()
    }

    // MARK: Paths

    /// Traversal, encoded dots, NULs and overlong UTF-8 never reach a lookup and never cause a 500.
    @Test(arguments: [
        "/events/../x", "/events/%2e%2e", "/events/%2e%2e/x", "/events/%2E%2e%2fetc", "/events/..%2Fa",
        "/events/%00", "/events/a%00", "/events/a%2500", "/events/%c0%ae%c0%ae", "/events/%C0%AE",
        "/events/%e0%80%ae", "/events/%c0%af", "/plugins/%c0%ae%c0%ae%c0%afetc", "/events?plugin=%c0%ae",
        "/events?plugin=a&plugin=%00", "/%2e%2e/healthz", "/events/a/../b", "/events/%", "/events/%c",
        "/events/%ff", "/events/\u{00e9}", "//events/a", "/events//a",
    ])
    func hostilePathsAre404Or400(target: String) async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        try client.request("GET", target)
        client.read { bytes in
            guard let response = RawResponse(bytes) else { return false }
            return response.body.count >= Int(response.header("Content-Length") ?? "0") ?? 0
        }
        let response = try #require(client.response)
        #expect(response.status == 404 || response.status == 400)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText.contains("\"error\":"))
        #expect(server.hub.subscriberCount == 0)
        try await server.stop()
    }

    /// Raw (unencoded) overlong UTF-8 and control bytes in the target.
    @Test(arguments: [[0xC0, 0xAE, 0xC0, 0xAE], [0xFF], [0x01], [0x7F]] as [[UInt8]])
    func rawBadBytesInTargetAre400Or404(bytes: [UInt8]) async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        let target = String(decoding: Array("/events/".utf8) + bytes, as: UTF8.self)
        try client.sendBytes(Array("GET ".utf8) + Array("/events/".utf8) + bytes + Array(" HTTP/1.1\r\nHost: x\r\n\r\n".utf8))
        client.read { RawResponse($0) != nil }
        let status = try #require(client.response?.status, "answered: \(target)")
        #expect(status == 400 || status == 404)
        #expect(server.hub.subscriberCount == 0)
        try await server.stop()
    }
}

extension String {
    /// How many times `needle` occurs.
    fileprivate func components(_ needle: String) -> Int {
        var count = 0
        var rest = self[...]
        while let range = rest.firstRange(of: needle) {
            count += 1
            rest = rest[range.upperBound...]
        }
        return count
    }
}
