import Testing

@testable import EventHub

@Suite("Stream and connection lifecycle over real sockets")
struct LifecycleTests {
    @Test func removeStreamEndsSingleStreamButNotMultiplexed() async throws {
        let server = try await TestServer.start()
        let single = try server.client()
        let multi = try server.client()
        let all = try server.client()
        try single.request("GET", "/events/a")
        try multi.request("GET", "/events?plugin=a&plugin=b")
        try all.request("GET", "/events")
        for client in [single, multi, all] { #expect(client.read { RawResponse($0)?.chunks.count == 1 }) }
        server.hub.removeStream("a", reason: .removed)
        let done = SSEMessage(id: nil, event: "done", data: "{\"plugin\":\"a\",\"reason\":\"removed\"}")
        #expect(single.readEvents(1) == [done])
        #expect(single.readToEOF())
        #expect(single.response?.ended == true)
        #expect(single.response?.malformed == false)
        #expect(multi.readEvents(1) == [done])
        #expect(all.readEvents(1) == [done])
        server.publish("b", 7)
        #expect(multi.readEvents(2).last?.data == "{\"n\":7}")
        #expect(all.readEvents(2).last?.data == "{\"n\":7}")
        #expect(!multi.sawEOF && !all.sawEOF)
        #expect(server.hub.streamNames == ["b"])
        // The removed name is unknown now.
        let late = try server.client()
        try late.request("GET", "/events/a")
        #expect(late.read { RawResponse($0)?.bodyText.hasSuffix("}") == true })
        #expect(late.response?.status == 404)
        try await server.stop()
    }

    @Test func shutdownSendsDoneThenEndsEveryStream() async throws {
        let server = try await TestServer.start()
        let single = try server.client()
        let all = try server.client()
        try single.request("GET", "/events/b")
        try all.request("GET", "/events")
        for client in [single, all] { #expect(client.read { RawResponse($0)?.chunks.count == 1 }) }
        server.hub.shutdown(reason: .shutdown)
        #expect(single.readToEOF())
        #expect(single.response?.events == [SSEMessage(id: nil, event: "done", data: "{\"plugin\":\"b\",\"reason\":\"shutdown\"}")])
        #expect(single.response?.ended == true)
        #expect(all.readToEOF())
        #expect(all.response?.events.map(\.data) == ["{\"plugin\":\"a\",\"reason\":\"shutdown\"}", "{\"plugin\":\"b\",\"reason\":\"shutdown\"}"])
        #expect(all.response?.ended == true)
        try await server.server.shutdown()
    }

    @Test func heartbeatCommentArrives() async throws {
        let server = try await TestServer.start(hub: EventHubConfiguration(heartbeatSeconds: 0.05))
        let client = try server.client()
        try client.request("GET", "/events/a")
        #expect(client.read { bytes in RawResponse(bytes).map { SSEParser.parseAll($0.body).comments.count >= 2 } ?? false })
        let response = try #require(client.response)
        #expect(response.chunks.dropFirst().first == Array(": keep-alive\n\n".utf8))
        #expect(SSEParser.parseAll(response.body).comments.allSatisfy { $0 == " keep-alive" })
        try await server.stop()
    }

    @Test func disconnectedClientsAreForgotten() async throws {
        let server = try await TestServer.start(hub: EventHubConfiguration(heartbeatSeconds: 0.05))
        var clients: [RawClient] = []
        for target in ["/events/a", "/events", "/events?plugin=a&plugin=b"] {
            let client = try server.client()
            try client.request("GET", target)
            #expect(client.read { RawResponse($0)?.chunks.count == 1 })
            clients.append(client)
        }
        #expect(server.hub.subscriberCount == 3)
        clients[0].close()
        clients[1].close()
        #expect(await TestServer.eventually { server.hub.subscriberCount == 1 })
        clients[2].close()
        #expect(await TestServer.eventually { server.hub.subscriberCount == 0 })
        // Publishing to nobody is fine and routes nowhere.
        server.publish("a", 1)
        #expect(try await server.hub.pendingCounts() == [])
        try await server.stop()
    }

    /// A client that never reads: once its socket is full, the subscriber keeps only the newest
    /// event per stream; when it reads again, it gets those.
    @Test func stalledClientKeepsOnlyNewestPerStream() async throws {
        let server = try await TestServer.start()
        let client = try server.client(receiveBuffer: 4096)
        try client.request("GET", "/events")
        #expect(client.read { RawResponse($0)?.chunks.count == 1 })
        let filler = String(repeating: "x", count: 32 * 1024)
        var published = 0
        // 3 MiB per try: about what loopback's socket buffers take before the connection turns
        // unwritable, so few tries are needed however slowly a busy machine resumes this task.
        let stalled = try await TestServer.eventually(timeout: 60) {
            for _ in 0..<100 {
                published += 1
                server.hub.publish(stream: published % 2 == 0 ? "a" : "b", event: "big", json: Array("\"\(filler)\"".utf8))
            }
            return try await server.hub.pendingCounts().contains { $0 > 0 }
        }
        #expect(stalled)
        for n in 1...2000 { server.publish(n % 2 == 0 ? "a" : "b", n) }
        #expect(try await TestServer.eventually { try await server.hub.pendingCounts() == [2] })
        // Reading again delivers the newest of each stream last.
        let end = Array("data: {\"n\":2000}\n\n\r\n".utf8)
        #expect(client.read(timeout: 20) { $0.suffix(end.count).elementsEqual(end) })
        let events = client.response?.events ?? []
        #expect(events.suffix(2).map(\.data) == ["{\"n\":1999}", "{\"n\":2000}"])
        // Far fewer than the 2000 small events published while stalled reached the client.
        #expect(events.filter { $0.event == "status" }.count <= 2)
        #expect(try await server.hub.pendingCounts() == [0])
        try await server.stop()
    }
}
