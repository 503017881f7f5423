import LuaKit
import Testing

extension HostFunctionTests {
    @Suite("beacon.http.request and network failures")
    struct HTTPRequestTests {
        @Test("method, headers and body are sent")
        func post() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let request = LuaValue.table([
                "method": .string("post"), "url": .string(server.url("/echo")),
                "headers": .table(["Content-Type": .string("text/plain")]), "body": .string("ping"),
            ])
            let response = try #require(await Host.values("http.request", [request]).first)
            #expect(response["status"] == .integer(200))
            #expect(response["body"] == .string("POST ping"))
            #expect(response["headers"]["x-echo-content-type"] == .string("text/plain"))
        }

        @Test("connection refused names host and port")
        func refused() async throws {
            let port = try closedPort()
            let values = await Host.values("http.get", [.string("http://127.0.0.1:\(port)/")])
            #expect(Host.failureMessage(values) == "connection refused to 127.0.0.1:\(port)")
        }

        @Test("an unknown host is a resolve failure")
        func unresolvable() async {
            let values = await Host.values("http.get", [.string("http://no-such-host.invalid/"), .table(["timeout": .integer(5)])])
            #expect(Host.failureMessage(values) == "cannot resolve host no-such-host.invalid")
        }

        @Test("TLS to a plain HTTP server is a TLS error")
        func tls() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let values = await Host.values("http.get", [.string("https://127.0.0.1:\(server.port)/ok"), .table(["timeout": .integer(5)])])
            #expect(Host.failureMessage(values) == "TLS error: wrong version number")
        }

        @Test("bad URLs are failures, not raised errors", arguments: [
            ("ftp://example.org/", "bad URL 'ftp://example.org/': must start with http:// or https://"),
            ("example.org", "bad URL 'example.org': must start with http:// or https://"),
            ("http://", "bad URL 'http://': no host"),
            ("http://a b/", "bad URL 'http://a b/': cannot parse it"),
        ])
        func badURL(url: String, message: String) async {
            #expect(Host.failureMessage(await Host.values("http.get", [.string(url)])) == message)
        }
    }
}
