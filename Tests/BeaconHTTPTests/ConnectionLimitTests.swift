import Testing

@testable import BeaconHTTP
@testable import EventHub

@Suite("Connection limits over real sockets")
struct ConnectionLimitTests {
    /// Opens a stream and waits for its `retry:` chunk.
    private func subscribe(_ server: TestServer, _ target: String) throws -> RawClient {
        let client = try server.client()
        try client.request("GET", target)
        #expect(client.read { RawResponse($0)?.chunks.count == 1 })
        return client
    }

    /// Sends one request on a new connection and reads until the server closes it.
    private func turnedAway(_ server: TestServer, _ target: String, method: String = "GET") throws -> RawResponse? {
        let client = try server.client()
        try client.request(method, target)
        #expect(client.readToEOF(), "a turned-away connection is closed after its answer")
        return client.response
    }

    @Test func overTheLimitStreamsGetALongRetryAndOtherRoutes503UntilSomeoneLeaves() async throws {
        let server = try await TestServer.start(server: BeaconServerConfiguration(maxConnections: 2))
        let first = try self.subscribe(server, "/events/a")
        let second = try self.subscribe(server, "/events/b")
        #expect(server.server.openConnections == 2)

        // A stream: 200 text/event-stream, only a long retry, then EOF (EventSource reconnects later).
        for target in ["/events/a", "/events?plugin=a&plugin=b", "/events", "/events/unknown"] {
            let response = try #require(try self.turnedAway(server, target))
            #expect(response.status == 200)
            #expect(response.header("Content-Type") == "text/event-stream; charset=utf-8")
            #expect(response.header("Connection") == "close")
            let parsed = SSEParser.parseAll(response.body)
            #expect(parsed.messages.isEmpty)
            #expect(parsed.retries.count == 1)
            #expect(parsed.retries.allSatisfy { (10_000...30_000).contains($0) })
        }
        // Anything else: 503 with Retry-After.
        for target in ["/plugins", "/plugins/a", "/", "/nope"] {
            let response = try #require(try self.turnedAway(server, target))
            #expect(response.status == 503)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.bodyText == "{\"error\":\"too many connections\"}")
            let retryAfter = try #require(response.header("Retry-After").flatMap(Int.init))
            #expect((10...30).contains(retryAfter))
        }
        // A liveness probe still hears the server is alive.
        #expect(try self.turnedAway(server, "/healthz")?.status == 200)
        #expect(server.server.rejectedConnections == 9)
        #expect(server.hub.subscriberCount == 2, "turned-away streams never reach the hub")
        #expect(server.logs.all.contains { $0.message.contains("connection limit reached (max-connections)") })

        // Once a client leaves, the next one is served.
        first.close()
        #expect(await TestServer.eventually { server.server.openConnections == 1 })
        let late = try self.subscribe(server, "/events/a")
        #expect(late.response?.header("Beacon-Resume") == "none")
        server.publish("a", 1)
        #expect(late.readEvents(1).map(\.data) == ["{\"n\":1}"])
        #expect(!late.sawEOF)
        #expect(server.server.rejectedConnections == 9)
        second.close()
        try await server.stop()
    }

    @Test func perAddressLimit() async throws {
        let server = try await TestServer.start(server: BeaconServerConfiguration(maxConnectionsPerIP: 2))
        let clients = [try self.subscribe(server, "/events/a"), try self.subscribe(server, "/events/a")]
        let response = try #require(try self.turnedAway(server, "/events/a"))
        #expect(response.status == 200)
        #expect(SSEParser.parseAll(response.body).retries.count == 1)
        #expect(server.server.rejectedConnections == 1)
        #expect(server.logs.all.contains { $0.message.contains("max-connections-per-ip") })
        clients[0].close()
        #expect(await TestServer.eventually { server.server.openConnections == 1 })
        let third = try self.subscribe(server, "/events/a")
        #expect(!third.sawEOF)
        try await server.stop()
    }

    /// Turned-away connections wait for their request (up to the header timeout), so they are
    /// capped too: past 64 of them at once, new connections are closed without an answer.
    @Test func tooManyWaitingTurnedAwayConnectionsAreClosedAtOnce() async throws {
        // A header timeout longer than the test, so no turned-away connection times out meanwhile
        // however slowly a busy machine runs it.
        let server = try await TestServer.start(server: BeaconServerConfiguration(maxConnections: 1, headerTimeout: 300))
        let served = try self.subscribe(server, "/events/a")
        let cap = server.server.connections.maxShedding
        #expect(cap == 64)
        var waiting: [RawClient] = []
        for _ in 0..<cap { waiting.append(try server.client()) }
        #expect(await TestServer.eventually { server.server.rejectedConnections == cap })
        let dropped = try server.client()
        #expect(dropped.readToEOF())
        #expect(dropped.received.isEmpty)
        #expect(server.server.rejectedConnections == cap + 1)
        // The waiting ones still get their answer.
        try waiting[0].request("GET", "/plugins")
        #expect(waiting[0].readToEOF())
        #expect(waiting[0].response?.status == 503)
        for client in waiting { client.close() }
        #expect(await TestServer.eventually { server.server.connections.channels.count == 1 })
        #expect(!served.sawEOF)
        try await server.stop()
    }
}
