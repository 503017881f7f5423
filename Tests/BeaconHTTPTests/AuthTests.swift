import NIOHTTP1
import Testing

@testable import BeaconHTTP
@testable import EventHub

@Suite("Bearer-token authentication")
struct AuthTests {
    private static let tokens = BeaconServerConfiguration(tokens: ["s3cret-token", "second_token"])

    /// One request on a new connection; reads the head and, when there is one, the whole body.
    private func get(_ server: TestServer, _ target: String, method: String = "GET", headers: [String] = []) throws
        -> RawResponse?
    {
        let client = try server.client()
        try client.request(method, target, headers: headers)
        client.read { bytes in
            guard let response = RawResponse(bytes) else { return false }
            if method == "HEAD" || response.header("Content-Type") == "text/event-stream; charset=utf-8" {
                return method == "HEAD" || !response.chunks.isEmpty
            }
            if let length = response.header("Content-Length").flatMap(Int.init) { return response.body.count >= length }
            return response.status == 204
        }
        return client.response
    }

    @Test func missingOrWrongTokensAre401WithABearerChallenge() async throws {
        let server = try await TestServer.start(server: Self.tokens)
        for target in ["/plugins", "/plugins/a", "/events/a", "/events", "/", "/nope"] {
            let response = try #require(try self.get(server, target))
            #expect(response.status == 401, "\(target)")
            #expect(response.header("WWW-Authenticate") == "Bearer")
            #expect(response.header("Content-Type") == "application/json")
            #expect(response.bodyText == "{\"error\":\"unauthorized\",\"reason\":\"a bearer token is required\"}")
        }
        for headers in [
            ["Authorization: Bearer wrong"], ["Authorization: Bearer s3cret"], ["Authorization: Bearer s3cret-tokenX"],
            ["Authorization: Bearer "], ["Cookie: beacon_token=nope"],
        ] {
            let response = try #require(try self.get(server, "/plugins", headers: headers))
            #expect(response.status == 401, "\(headers)")
            #expect(response.header("WWW-Authenticate") == "Bearer error=\"invalid_token\"")
        }
        // Another scheme is no token at all.
        #expect(try self.get(server, "/plugins", headers: ["Authorization: Basic czNjcmV0LXRva2Vu"])?.header("WWW-Authenticate") == "Bearer")
        #expect(try self.get(server, "/events/a?access_token=wrong")?.status == 401)
        #expect(server.hub.subscriberCount == 0)
        try await server.stop()
    }

    @Test func aValidTokenInTheHeaderQueryOrCookieIsAccepted() async throws {
        let server = try await TestServer.start(server: Self.tokens)
        #expect(try self.get(server, "/plugins", headers: ["Authorization: Bearer s3cret-token"])?.status == 200)
        #expect(try self.get(server, "/plugins", headers: ["authorization: bearer   second_token"])?.status == 200)
        #expect(
            try self.get(server, "/plugins/a", headers: ["Authorization: Bearer wrong", "Authorization: Bearer second_token"])?
                .status == 200)
        // EventSource cannot set headers: query parameter or cookie.
        let query = try #require(try self.get(server, "/events/a?access_token=s3cret-token"))
        #expect(query.status == 200)
        #expect(query.header("Content-Type") == "text/event-stream; charset=utf-8")
        let multiplexed = try server.client()
        try multiplexed.request("GET", "/events?plugin=a&access_token=second_token")
        #expect(multiplexed.read { RawResponse($0)?.chunks.count == 1 })
        server.publish("b", 1)
        server.publish("a", 2)
        #expect(multiplexed.readEvents(1).map(\.data) == ["{\"n\":2}"], "access_token is not a plugin filter")
        let cookie = try #require(
            try self.get(server, "/events/a", headers: ["Cookie: theme=dark; beacon_token=s3cret-token; x=1"]))
        #expect(cookie.status == 200)
        #expect(try self.get(server, "/events/a", method: "HEAD", headers: ["Cookie: beacon_token=\"second_token\""])?.status == 200)
        try await server.stop()
    }

    @Test func healthAndPreflightNeedNoToken() async throws {
        let server = try await TestServer.start(server: Self.tokens)
        #expect(try self.get(server, "/healthz")?.status == 200)
        #expect(try self.get(server, "/healthz", headers: ["Authorization: Bearer wrong"])?.status == 200)
        #expect(try self.get(server, "/events/a", method: "OPTIONS")?.status == 204)
        try await server.stop()
    }

    /// Opening the dashboard with `?access_token=` sets the cookie its own requests then carry.
    @Test func dashboardOpenedWithAQueryTokenSetsTheCookie() async throws {
        let server = try await TestServer.start(server: Self.tokens)
        let page = try #require(try self.get(server, "/?access_token=s3cret-token"))
        #expect(page.status == 200)
        #expect(page.header("Set-Cookie") == "beacon_token=s3cret-token; Path=/; HttpOnly; SameSite=Strict")
        let withHeader = try #require(try self.get(server, "/", headers: ["Authorization: Bearer s3cret-token"]))
        #expect(withHeader.status == 200)
        #expect(withHeader.header("Set-Cookie") == nil)
        #expect(try self.get(server, "/plugins?access_token=s3cret-token")?.header("Set-Cookie") == nil)
        try await server.stop()
    }

    /// A token list of only empty lines does not turn authentication off: nobody gets in.
    @Test func emptyTokensNeverMatch() async throws {
        let server = try await TestServer.start(server: BeaconServerConfiguration(tokens: [""]))
        #expect(try self.get(server, "/plugins")?.status == 401)
        #expect(try self.get(server, "/plugins", headers: ["Authorization: Bearer "])?.status == 401)
        #expect(try self.get(server, "/plugins?access_token=")?.status == 401)
        #expect(try self.get(server, "/healthz")?.status == 200)
        try await server.stop()
    }

    @Test func noTokensMeansNoAuthentication() async throws {
        let server = try await TestServer.start()
        #expect(try self.get(server, "/plugins")?.status == 200)
        #expect(TokenAuthenticator(tokens: []) == nil)
        try await server.stop()
    }

    @Test func comparisonAndParsing() {
        let secret = Array("abcdef".utf8)
        #expect(TokenAuthenticator.constantTimeEqual(Array("abcdef".utf8), secret))
        #expect(!TokenAuthenticator.constantTimeEqual(Array("abcdeg".utf8), secret))
        #expect(!TokenAuthenticator.constantTimeEqual(Array("abcde".utf8), secret))
        #expect(!TokenAuthenticator.constantTimeEqual(Array("abcdefg".utf8), secret))
        #expect(!TokenAuthenticator.constantTimeEqual([], secret))
        #expect(TokenAuthenticator.bearer("Bearer abc") == "abc")
        #expect(TokenAuthenticator.bearer("  BEARER  abc  ") == "abc")
        #expect(TokenAuthenticator.bearer("Basic abc") == nil)
        #expect(TokenAuthenticator.bearer("Bearerabc") == nil)
        let headers = HTTPHeaders([("Cookie", "a=1; beacon_token=t1"), ("Cookie", "beacon_token=\"t2\" ")])
        #expect(TokenAuthenticator.cookies(named: "beacon_token", in: headers) == ["t1", "t2"])
        #expect(TokenAuthenticator.setCookie(token: "has space") == nil)
        #expect(TokenAuthenticator.setCookie(token: "a;b") == nil)
    }
}
