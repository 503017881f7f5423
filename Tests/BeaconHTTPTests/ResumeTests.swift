import Testing

@testable import EventHub

@Suite("Resuming with Last-Event-ID over real sockets")
struct ResumeTests {
    /// History 3; a1…a5 have ids base+0…base+4, so a1 and a2 are evicted.
    private func serverWithFiveEvents() async throws -> TestServer {
        let server = try await TestServer.start(hub: EventHubConfiguration(historyLimit: 3))
        for n in 1...5 { server.publish("a", n) }
        return server
    }

    private func connect(_ server: TestServer, _ target: String, lastEventID: String?, events: Int) throws -> (
        resume: String?, data: [String]
    ) {
        let client = try server.client()
        try client.request("GET", target, headers: lastEventID.map { ["Last-Event-ID: \($0)"] } ?? [])
        let received = client.readEvents(events)
        return (client.response?.header("Beacon-Resume"), received.map(\.data))
    }

    @Test func coveredGapIsReplayedExactly() async throws {
        let server = try await self.serverWithFiveEvents()
        let base = server.hub.idBase
        let fromA3 = try self.connect(server, "/events/a", lastEventID: String(base + 2), events: 2)
        #expect(fromA3.resume == "resumed")
        #expect(fromA3.data == ["{\"n\":4}", "{\"n\":5}"])
        // base+1 was the last evicted id: everything after it is still held.
        let fromA2 = try self.connect(server, "/events/a", lastEventID: String(base + 1), events: 3)
        #expect(fromA2.resume == "resumed")
        #expect(fromA2.data == ["{\"n\":3}", "{\"n\":4}", "{\"n\":5}"])
        try await server.stop()
    }

    @Test func upToDateClientGetsNothingThenLive() async throws {
        let server = try await self.serverWithFiveEvents()
        let client = try server.client()
        try client.request("GET", "/events/a", headers: ["Last-Event-ID: \(server.hub.idBase + 4)"])
        #expect(client.read { RawResponse($0)?.chunks.count == 1 })
        #expect(client.response?.header("Beacon-Resume") == "resumed")
        server.publish("a", 6)
        #expect(client.readEvents(1).map(\.data) == ["{\"n\":6}"])
        #expect(client.response?.events.count == 1)
        try await server.stop()
    }

    @Test(arguments: ["gap", "pre-restart", "unknown", "garbage", "negative"])
    func unusableIdResetsToLatest(kind: String) async throws {
        let server = try await self.serverWithFiveEvents()
        let base = server.hub.idBase
        let id: String
        switch kind {
        case "gap": id = String(base)  // a1: evicted, a2 lost with it
        case "pre-restart": id = String(base - 7)
        case "unknown": id = String(base + 1000)
        case "negative": id = "-1"
        default: id = "12ab"
        }
        let result = try self.connect(server, "/events/a", lastEventID: id, events: 1)
        #expect(result.resume == "reset")
        #expect(result.data == ["{\"n\":5}"])
        try await server.stop()
    }

    @Test func queryParameterWorksLikeTheHeader() async throws {
        let server = try await self.serverWithFiveEvents()
        let result = try self.connect(server, "/events/a?lastEventId=\(server.hub.idBase + 3)", lastEventID: nil, events: 1)
        #expect(result.resume == "resumed")
        #expect(result.data == ["{\"n\":5}"])
        try await server.stop()
    }

    @Test func multiplexResumesEachStreamInIdOrder() async throws {
        let server = try await TestServer.start(hub: EventHubConfiguration(historyLimit: 2))
        server.publish("a", 1)  // base+0
        server.publish("b", 2)  // base+1
        server.publish("a", 3)  // base+2
        server.publish("b", 4)  // base+3
        server.publish("a", 5)  // base+4: evicts a1 (base+0)
        server.publish("a", 6)  // base+5: evicts a3 (base+2)
        let base = server.hub.idBase
        let covered = try self.connect(server, "/events?plugin=a&plugin=b", lastEventID: String(base + 2), events: 3)
        #expect(covered.resume == "resumed")
        #expect(covered.data == ["{\"n\":4}", "{\"n\":5}", "{\"n\":6}"])
        // From base+1: a's history no longer covers it (reset to a's latest), b's does.
        let partial = try self.connect(server, "/events?plugin=a&plugin=b", lastEventID: String(base + 1), events: 2)
        #expect(partial.resume == "reset")
        #expect(partial.data == ["{\"n\":4}", "{\"n\":6}"])
        try await server.stop()
    }
}
