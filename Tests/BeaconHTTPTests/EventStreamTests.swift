import Testing

@testable import EventHub

@Suite("Event streams over real sockets")
struct EventStreamTests {
    @Test func headersThenRetryThenLatestAtOnce() async throws {
        let server = try await TestServer.start()
        server.publish("a", 1)
        server.publish("a", 2)
        let client = try server.client()
        try client.request("GET", "/events/a")
        let events = client.readEvents(1)
        let response = try #require(client.response)
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/event-stream; charset=utf-8")
        #expect(response.header("Cache-Control") == "no-cache")
        #expect(response.header("X-Accel-Buffering") == "no")
        #expect(response.header("Connection") == "keep-alive")
        #expect(response.header("Transfer-Encoding") == "chunked")
        #expect(response.header("Beacon-Resume") == "none")
        #expect(response.header("Content-Length") == nil)
        #expect(!response.malformed)
        #expect(response.chunks.first == Array("retry: 3000\n\n".utf8))
        // Only the latest event, not the history.
        #expect(events == [SSEMessage(id: String(server.hub.idBase + 1), event: "status", data: "{\"n\":2}")])
        #expect(response.chunks.dropFirst().first == Array("id: \(server.hub.idBase + 1)\nevent: status\ndata: {\"n\":2}\n\n".utf8))
        try await server.stop()
    }

    @Test func configuredRetryIsSentFirst() async throws {
        let server = try await TestServer.start(hub: EventHubConfiguration(retryMilliseconds: 1234))
        let client = try server.client()
        try client.request("GET", "/events/a")
        client.read { RawResponse($0)?.chunks.isEmpty == false }
        #expect(client.response?.chunks.first == Array("retry: 1234\n\n".utf8))
        #expect(client.response?.events == [])
        try await server.stop()
    }

    @Test func streamWithoutEventsSendsOnlyRetryThenLiveEventsInOrder() async throws {
        let server = try await TestServer.start()
        let first = try server.client()
        let second = try server.client()
        try first.request("GET", "/events/a")
        try second.request("GET", "/events/a")
        #expect(first.read { RawResponse($0)?.chunks.count == 1 })
        #expect(second.read { RawResponse($0)?.chunks.count == 1 })
        for n in 1...20 { server.publish("a", n) }
        server.publish("b", 99)
        for client in [first, second] {
            let events = client.readEvents(20)
            #expect(events.map(\.data) == (1...20).map { "{\"n\":\($0)}" })
            #expect(events.compactMap { $0.id.flatMap(UInt64.init) } == (0..<20).map { server.hub.idBase + UInt64($0) })
        }
        try await server.stop()
    }

    @Test func secondSubscriberGetsLatestAtOnce() async throws {
        let server = try await TestServer.start()
        let first = try server.client()
        try first.request("GET", "/events/a")
        #expect(first.read { RawResponse($0)?.chunks.count == 1 })
        server.publish("a", 1)
        #expect(first.readEvents(1).count == 1)
        let second = try server.client()
        try second.request("GET", "/events/a")
        #expect(second.readEvents(1).map(\.data) == ["{\"n\":1}"])
        server.publish("a", 2)
        #expect(second.readEvents(2).map(\.data) == ["{\"n\":1}", "{\"n\":2}"])
        #expect(first.readEvents(2).map(\.data) == ["{\"n\":1}", "{\"n\":2}"])
        try await server.stop()
    }

    @Test func unknownStreamIs404JSON() async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        try client.request("GET", "/events/nope")
        client.read { RawResponse($0).map { $0.body.count >= Int($0.header("Content-Length") ?? "0") ?? 0 } ?? false }
        let response = try #require(client.response)
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText == "{\"error\":\"unknown plugin\",\"plugin\":\"nope\"}")
        try await server.stop()
    }

    @Test func multiplexKeepsEventNamesAndIncludesOnlyAskedStreams() async throws {
        let server = try await TestServer.start(streams: ["a", "b", "c"])
        server.publish("a", 1, event: "alpha")
        let client = try server.client()
        try client.request("GET", "/events?plugin=a&plugin=b&plugin=a")
        #expect(client.readEvents(1).map(\.event) == ["alpha"])
        server.publish("c", 2)
        server.publish("b", 3, event: "beta")
        server.publish("a", 4, event: "alpha")
        let events = client.readEvents(3)
        #expect(events.map(\.event) == ["alpha", "beta", "alpha"])
        #expect(events.map(\.data) == ["{\"n\":1}", "{\"n\":3}", "{\"n\":4}"])
        try await server.stop()
    }

    @Test func allStreamsIncludesStreamsAddedLater() async throws {
        let server = try await TestServer.start(streams: ["a", "b"])
        server.publish("a", 1)
        server.publish("b", 2)
        let client = try server.client()
        try client.request("GET", "/events")
        // Latest of each, in id order.
        #expect(client.readEvents(2).map(\.data) == ["{\"n\":1}", "{\"n\":2}"])
        server.hub.addStream("c")
        server.publish("c", 3, event: "gamma")
        let events = client.readEvents(3)
        #expect(events.last == SSEMessage(id: String(server.hub.idBase + 2), event: "gamma", data: "{\"n\":3}"))
        try await server.stop()
    }

    @Test func multiplexWithUnknownNamesIs404ListingThem() async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        try client.request("GET", "/events?plugin=a&plugin=nope&plugin=..%2Fetc&plugin=nope")
        #expect(client.read { $0.count > 0 && RawResponse($0)?.bodyText.hasSuffix("}") == true })
        let response = try #require(client.response)
        #expect(response.status == 404)
        #expect(response.bodyText == "{\"error\":\"unknown plugin\",\"plugins\":[\"nope\",\"../etc\"]}")
        let second = try server.client()
        try second.request("GET", "/events?plugin=zz&plugin=a")
        #expect(second.read { RawResponse($0)?.bodyText.hasSuffix("}") == true })
        #expect(second.response?.bodyText == "{\"error\":\"unknown plugin\",\"plugins\":[\"zz\"]}")
        try await server.stop()
    }

    /// Events published while subscribers attach are neither lost nor duplicated: every client
    /// sees consecutive ids from its first event to the last one published.
    @Test func attachingDuringPublishingLosesAndDuplicatesNothing() async throws {
        let server = try await TestServer.start(streams: ["a"])
        let total = 400
        let publisher = Task.detached {
            for n in 1...total {
                server.publish("a", n)
                if n % 50 == 0 { try? await Task.sleep(for: .milliseconds(2)) }
            }
        }
        var clients: [RawClient] = []
        for _ in 0..<6 {
            let client = try server.client()
            try client.request("GET", "/events/a")
            clients.append(client)
        }
        await publisher.value
        let lastId = String(server.hub.idBase + UInt64(total - 1))
        for client in clients {
            #expect(client.read(timeout: 10) { RawResponse($0)?.events.last?.id == lastId })
            let ids = (client.response?.events ?? []).compactMap { $0.id.flatMap(UInt64.init) }
            let first = try #require(ids.first)
            #expect(ids == Array(first...(server.hub.idBase + UInt64(total - 1))))
        }
        try await server.stop()
    }

    /// HTTP/1.0 has no chunked encoding: the same SSE bytes, unframed, delimited by the close.
    @Test func http10GetsUnchunkedStream() async throws {
        let server = try await TestServer.start()
        server.publish("a", 1)
        let client = try server.client()
        try client.send("GET /events/a HTTP/1.0\r\n\r\n")
        let expected = "retry: 3000\n\nid: \(server.hub.idBase)\nevent: status\ndata: {\"n\":1}\n\n"
        #expect(client.read { RawResponse($0)?.bodyText == expected })
        #expect(client.response?.header("Transfer-Encoding") == nil)
        #expect(client.response?.header("Connection") == "close", "a close-delimited body is not keep-alive")
        server.hub.removeStream("a", reason: .removed)
        #expect(client.readToEOF())
        #expect(client.response?.bodyText.hasSuffix("event: done\ndata: {\"plugin\":\"a\",\"reason\":\"removed\"}\n\n") == true)
        try await server.stop()
    }
}
