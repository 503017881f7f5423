import LuaKit
import PluginAPI
import Testing

extension HostFunctionTests {
    @Suite("beacon.http.get")
    struct HTTPGetTests {
        @Test("200 with lower-cased headers, body and timing")
        func ok() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let values = await Host.values("http.get", [.string(server.url("/ok"))])
            let response = try #require(values.first)
            #expect(response["status"] == .integer(200))
            #expect(response["body"] == .string("hello"))
            #expect(response["headers"]["content-type"] == .string("text/plain"))
            #expect(response["headers"]["x-test"] == .string("yes"))
            #expect(response["headers"]["set-cookie"] == .string("a=1, b=2"))
            #expect(response["headers"]["X-Test"] == .nil)
            let ms = try #require(response["ms"].double)
            #expect(ms >= 0 && ms < 5000)
        }

        @Test("a 404 is a response, not a failure")
        func notFound() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let response = try #require(await Host.values("http.get", [.string(server.url("/status/404"))]).first)
            #expect(response["status"] == .integer(404))
            #expect(response["body"] == .string("status 404"))
        }

        @Test("request headers are sent; a default User-Agent is added")
        func headers() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let options = LuaValue.table(["headers": .table(["X-Custom": .string("abc")])])
            let response = try #require(await Host.values("http.get", [.string(server.url("/echo")), options]).first)
            #expect(response["headers"]["x-echo-x-custom"] == .string("abc"))
            #expect(response["headers"]["x-echo-user-agent"] == .string("beacon"))
            #expect(response["body"] == .string("GET "))
        }

        @Test("a slow response times out at the call's timeout")
        func slow() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let (values, elapsed) = await Host.timedValues(
                "http.get", [.string(server.url("/slow?ms=3000")), .table(["timeout": .number(0.3)])])
            #expect(Host.failureMessage(values) == "timed out after 0.3 s")
            #expect(elapsed >= 0.25 && elapsed < 1.5)
        }

        @Test("the run's deadline wins over a longer timeout")
        func deadlineWins() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let (values, elapsed) = await Host.timedValues(
                "http.get", [.string(server.url("/slow?ms=3000")), .table(["timeout": .integer(5)])],
                deadline: .after(seconds: 0.4))
            #expect(Host.failureMessage(values)?.hasPrefix("timed out after 0.") == true)
            #expect(elapsed < 1.5)
        }

        @Test("an expired run fails at once")
        func expired() async {
            let values = await Host.values("http.get", [.string("http://127.0.0.1:1/")], deadline: .now())
            #expect(Host.failureMessage(values) == "timed out after 0 s")
        }

        @Test("redirects are followed up to 5, or not at all with redirects=false")
        func redirects() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let followed = try #require(await Host.values("http.get", [.string(server.url("/redirect/3"))]).first)
            #expect(followed["status"] == .integer(200))
            #expect(followed["body"] == .string("landed"))
            #expect(followed["url"] == .string(server.url("/redirect/0")))

            let notFollowed = try #require(
                await Host.values("http.get", [.string(server.url("/redirect/3")), .table(["redirects": .boolean(false)])]).first)
            #expect(notFollowed["status"] == .integer(302))
            #expect(notFollowed["headers"]["location"] == .string("/redirect/2"))

            let tooMany = await Host.values("http.get", [.string(server.url("/redirect/6"))])
            #expect(Host.failureMessage(tooMany) == "too many redirects (more than 5)")
            let loop = await Host.values("http.get", [.string(server.url("/loop"))])
            #expect(Host.failureMessage(loop) == "redirect loop")
        }

        @Test("a body over the cap is an error")
        func bodyCap() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let small = PluginAPI.hostFunctions(configuration: .init(maxBodyBytes: 1000))
            let fits = await Host.values("http.get", [.string(server.url("/big?bytes=1000"))], functions: small)
            let tooBig = await Host.values("http.get", [.string(server.url("/big?bytes=1001"))], functions: small)
            #expect(fits.first?["body"].string?.count == 1000)
            #expect(Host.failureMessage(tooBig) == "response body larger than 1000 bytes")
        }
    }
}
