import Testing

@testable import EventHub

@Suite("Routes, methods, CORS and malformed requests over real sockets")
struct RoutingTests {
    /// Sends a raw request and reads one complete response (Content-Length or EOF).
    private func exchange(_ server: TestServer, _ raw: String) throws -> RawClient {
        let client = try server.client()
        try client.send(raw)
        let isHead = raw.hasPrefix("HEAD ")
        client.read { bytes in
            guard let response = RawResponse(bytes) else { return false }
            if isHead { return true }
            if let length = response.header("Content-Length").flatMap(Int.init) { return response.body.count >= length }
            return response.status == 204
        }
        return client
    }

    private func get(_ server: TestServer, _ target: String, method: String = "GET", headers: [String] = []) throws -> RawResponse? {
        var raw = "\(method) \(target) HTTP/1.1\r\nHost: x\r\n"
        for header in headers { raw += header + "\r\n" }
        return try self.exchange(server, raw + "\r\n").response
    }

    @Test func statusRoutes() async throws {
        let server = try await TestServer.start()
        let health = try #require(try self.get(server, "/healthz"))
        #expect(health.status == 200)
        #expect(health.header("Content-Type") == "application/json")
        #expect(health.bodyText == "{\"status\":\"ok\"}")
        #expect(try self.get(server, "/plugins")?.bodyText == "[{\"name\":\"a\"}]")
        #expect(try self.get(server, "/plugins/a")?.bodyText == "{\"name\":\"a\"}")
        let missing = try self.get(server, "/plugins/zz")
        #expect(missing?.status == 404)
        #expect(missing?.bodyText == "{\"error\":\"unknown plugin\",\"plugin\":\"zz\"}")
        let page = try self.get(server, "/")
        #expect(page?.status == 200)
        #expect(page?.header("Content-Type") == "text/html; charset=utf-8")
        #expect(page?.bodyText.contains("<html") == true)
        let policy = page?.header("Content-Security-Policy") ?? ""
        #expect(policy.hasPrefix("default-src 'none';") && policy.hasSuffix("; frame-ancestors 'none'"), "\(policy)")
        let unknown = try self.get(server, "/nope")
        #expect(unknown?.status == 404)
        #expect(unknown?.header("Content-Type") == "application/json")
        #expect(unknown?.bodyText.hasPrefix("{\"error\":\"not found\",\"path\":\"/nope\",\"routes\":[") == true)
        try await server.stop()
    }

    @Test func levelRoutes() async throws {
        let server = try await TestServer.start()
        let status = try #require(try self.get(server, "/status"))
        #expect(status.status == 200 && status.header("Content-Type") == "application/json")
        #expect(status.bodyText == "{\"status\":\"warning\"}")
        let badge = try #require(try self.get(server, "/badge/a.svg"))
        #expect(badge.status == 200)
        #expect(badge.header("Content-Type") == "image/svg+xml; charset=utf-8")
        #expect(badge.header("Cache-Control") == "no-cache")
        #expect(badge.bodyText.hasPrefix("<svg ") && badge.bodyText.contains(">a: warning</title>"))
        #expect(try self.get(server, "/badge/b.svg")?.bodyText.contains(">b: none</title>") == true)
        for (target, name) in [("/badge/zz.svg", "zz"), ("/badge/%3Cx%3E.svg", "<x>")] {
            let missing = try #require(try self.get(server, target))
            #expect(missing.status == 404, "\(target)")
            #expect(missing.header("Content-Type") == "application/json")
            #expect(missing.bodyText == "{\"error\":\"unknown plugin\",\"plugin\":\"\(name)\"}", "\(target)")
        }
        #expect(try self.get(server, "/badge/a")?.status == 404)
        #expect(try self.get(server, "/badge/a.svg", method: "HEAD")?.status == 200)
        try await server.stop()
    }

    @Test(arguments: [
        "/events/../a", "/events/%2e%2e", "/events/%2E%2E%2Fa", "/events/a%00", "/events/a%2F", "/events/",
        "/events/a/b", "/events/%zz", "/events/a%20b", "/plugins/..%2F..%2Fetc", "/plugins/%00", "/events/%C3%A9",
    ])
    func traversalAndEncodedNamesAre404(target: String) async throws {
        let server = try await TestServer.start()
        let response = try #require(try self.get(server, target))
        #expect(response.status == 404)
        #expect(response.header("Content-Type") == "application/json")
        #expect(response.bodyText.contains("\"error\":"))
        try await server.stop()
    }

    @Test func rawNulInTargetIsRejectedNot500() async throws {
        let server = try await TestServer.start()
        let client = try server.client()
        try client.send("GET /events/a\u{0}b HTTP/1.1\r\nHost: x\r\n\r\n")
        client.read { RawResponse($0) != nil }
        let status = client.response?.status
        #expect(status == 400 || status == 404)
        try await server.stop()
    }

    @Test func headAnswersHeadersOnly() async throws {
        let server = try await TestServer.start()
        server.publish("a", 1)
        let stream = try server.client()
        try stream.request("HEAD", "/events/a")
        #expect(stream.readToEOF())
        let head = try #require(stream.response)
        #expect(head.status == 200)
        #expect(head.header("Content-Type") == "text/event-stream; charset=utf-8")
        #expect(head.header("Beacon-Resume") == "none")
        #expect(head.header("Connection") == "close", "the connection ends after a HEAD on a stream")
        #expect(head.chunks.isEmpty && head.body.isEmpty)

        // HEAD then GET on one connection: the HEAD response has no body.
        let client = try server.client()
        try client.send("HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(client.read { String(decoding: $0, as: UTF8.self).hasSuffix("{\"status\":\"ok\"}") })
        let firstHeadEnd = try #require(RawResponse.find(Array("\r\n\r\n".utf8), in: client.received, from: 0))
        let firstHead = String(decoding: client.received[..<firstHeadEnd], as: UTF8.self)
        #expect(firstHead.contains("Content-Length: 15"))
        let next = String(decoding: client.received[(firstHeadEnd + 4)...], as: UTF8.self)
        #expect(next.hasPrefix("HTTP/1.1 200 OK"))
        #expect(try self.get(server, "/events/nope", method: "HEAD")?.status == 404)
        try await server.stop()
    }

    @Test func optionsAndOtherMethods() async throws {
        let server = try await TestServer.start()
        let options = try #require(try self.get(server, "/events/a", method: "OPTIONS"))
        #expect(options.status == 204)
        #expect(options.header("Allow") == "GET, HEAD, OPTIONS")
        #expect(options.header("Access-Control-Allow-Origin") == nil)
        for method in ["POST", "PUT", "DELETE", "PATCH"] {
            let response = try #require(try self.get(server, "/events/a", method: method, headers: ["Content-Length: 0"]))
            #expect(response.status == 405)
            #expect(response.header("Allow") == "GET, HEAD, OPTIONS")
            #expect(response.bodyText.hasPrefix("{\"allow\":[\"GET\",\"HEAD\",\"OPTIONS\"],\"error\":\"method not allowed\""))
        }
        try await server.stop()
    }

    @Test func corsAnyOrigin() async throws {
        let server = try await TestServer.start(cors: ["*"])
        let response = try self.get(server, "/healthz", headers: ["Origin: http://elsewhere"])
        #expect(response?.header("Access-Control-Allow-Origin") == "*")
        let stream = try server.client()
        try stream.request("GET", "/events/a", headers: ["Origin: http://elsewhere"])
        #expect(stream.read { RawResponse($0)?.chunks.count == 1 })
        #expect(stream.response?.header("Access-Control-Allow-Origin") == "*")
        try await server.stop()
    }

    @Test func corsListEchoesListedOriginsOnly() async throws {
        let server = try await TestServer.start(cors: ["http://ok.example", "http://also.example"])
        let listed = try self.get(server, "/healthz", headers: ["Origin: http://also.example"])
        #expect(listed?.header("Access-Control-Allow-Origin") == "http://also.example")
        #expect(listed?.headerValues("Vary").contains("Origin") == true)
        let other = try self.get(server, "/healthz", headers: ["Origin: http://evil.example"])
        #expect(other?.header("Access-Control-Allow-Origin") == nil)
        #expect(other?.headerValues("Vary").contains("Origin") == true)
        let preflight = try #require(
            try self.get(
                server, "/events/a", method: "OPTIONS",
                headers: [
                    "Origin: http://ok.example", "Access-Control-Request-Method: GET",
                    "Access-Control-Request-Headers: last-event-id",
                ]))
        #expect(preflight.status == 204)
        #expect(preflight.header("Access-Control-Allow-Origin") == "http://ok.example")
        #expect(preflight.header("Access-Control-Allow-Methods") == "GET, HEAD, OPTIONS")
        #expect(preflight.header("Access-Control-Allow-Headers") == "Last-Event-ID, Cache-Control")
        try await server.stop()
    }

    @Test func noCorsConfiguredSendsNoCorsHeaders() async throws {
        let server = try await TestServer.start()
        let response = try #require(try self.get(server, "/healthz", headers: ["Origin: http://x"]))
        #expect(!response.headers.contains { $0.name.lowercased().hasPrefix("access-control") })
        #expect(response.header("Vary") == nil)
        try await server.stop()
    }

    @Test func bodiesOnGetAndAmbiguousFramingAre400() async throws {
        let server = try await TestServer.start()
        for raw in [
            "GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello",
            "GET /events/a HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
            "POST /events/a HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
        ] {
            let client = try server.client()
            try client.send(raw)
            #expect(client.readToEOF())
            let response = try #require(client.response)
            #expect(response.status == 400)
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.bodyText.hasPrefix("{\"error\":\"bad request\",\"reason\":"))
        }
        #expect(server.hub.subscriberCount == 0)
        try await server.stop()
    }
}
