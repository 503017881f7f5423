import Foundation
import LuaKit
import Testing

extension HostFunctionTests {
    /// `tls = { verify = false }` and `tls = { ca_file = PATH }` against a local HTTPS server whose
    /// certificate is self-signed, made with `openssl` for the test.
    @Suite("beacon.http with tls options")
    struct TLSTests {
        @Test("by default a self-signed certificate fails verification, with a hint")
        func verifiedByDefault() async throws {
            try await withHTTPSServer { server, _ in
                let values = await Host.values("http.get", [.string(server.url("/ok", scheme: "https"))])
                #expect(Host.failureMessage(values)
                    == "TLS error: certificate verify failed (for a private CA give tls = { ca_file = PATH })")
            }
        }

        @Test("verify = false accepts it")
        func verifyOff() async throws {
            try await withHTTPSServer { server, _ in
                let options = LuaValue.table(["tls": .table(["verify": .boolean(false)])])
                let response = try #require(await Host.values("http.get", [.string(server.url("/ok", scheme: "https")), options]).first)
                #expect(response["status"] == .integer(200))
                #expect(response["body"] == .string("hello"))
            }
        }

        @Test("ca_file trusts the certificate, for get and request")
        func caFile() async throws {
            try await withHTTPSServer { server, certificate in
                let tls = LuaValue.table(["ca_file": .string(certificate.certificate)])
                let response = try #require(
                    await Host.values("http.get", [.string(server.url("/ok", scheme: "https")), .table(["tls": tls])]).first)
                #expect(response["body"] == .string("hello"))
                let posted = try #require(await Host.values("http.request", [.table([
                    "method": .string("POST"), "url": .string(server.url("/echo", scheme: "https")), "body": .string("hi"), "tls": tls,
                ])]).first)
                #expect(posted["body"] == .string("POST hi"))
            }
        }

        @Test("a missing or invalid CA file is a failure naming the file")
        func badCAFile() async throws {
            try await withHTTPSServer { server, certificate in
                let url = LuaValue.string(server.url("/ok", scheme: "https"))
                let missing = certificate.folder.appendingPathComponent("missing.pem").path
                let absent = await Host.values("http.get", [url, .table(["tls": .table(["ca_file": .string(missing)])])])
                #expect(Host.failureMessage(absent) == "cannot read CA file '\(missing)': No such file or directory")

                let garbage = certificate.folder.appendingPathComponent("garbage.pem").path
                try Data("not a certificate\n".utf8).write(to: URL(fileURLWithPath: garbage))
                let invalid = await Host.values("http.get", [url, .table(["tls": .table(["ca_file": .string(garbage)])])])
                #expect(Host.failureMessage(invalid) == "CA file '\(garbage)' holds no PEM certificate")

                // The key file is PEM, but no certificate.
                let key = await Host.values("http.get", [url, .table(["tls": .table(["ca_file": .string(certificate.key)])])])
                #expect(Host.failureMessage(key) == "CA file '\(certificate.key)' holds no PEM certificate")
            }
        }

        @Test("a CA that did not sign the server's certificate still fails")
        func otherCA() async throws {
            try await withHTTPSServer { server, _ in
                let other = try SelfSignedCertificate()
                defer { other.remove() }
                let options = LuaValue.table(["tls": .table(["ca_file": .string(other.certificate)])])
                let values = await Host.values("http.get", [.string(server.url("/ok", scheme: "https")), options])
                #expect(Host.failureMessage(values)?.hasPrefix("TLS error: certificate verify failed") == true)
            }
        }

        private func withHTTPSServer(_ body: (TestHTTPServer, SelfSignedCertificate) async throws -> Void) async throws {
            let certificate = try SelfSignedCertificate()
            defer { certificate.remove() }
            let server = try TestHTTPServer(tls: (certificate.certificate, certificate.key))
            defer { server.shutdown() }
            try await body(server, certificate)
        }
    }
}
