import Glibc
import LuaKit
import Testing

extension HostFunctionTests {
    @Suite("beacon.tcp.connect")
    struct TCPConnectTests {
        @Test("a listening port connects")
        func open() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let values = await Host.values("tcp.connect", [.string("127.0.0.1"), .integer(Int64(server.port))])
            #expect(values.first == .boolean(true))
            let ms = try #require(values.count == 2 ? values[1].double : nil)
            #expect(ms >= 0 && ms < 5000)
        }

        @Test("a closed port is refused")
        func refused() async throws {
            let port = try closedPort()
            let values = await Host.values("tcp.connect", [.string("127.0.0.1"), .integer(Int64(port))])
            #expect(Host.failureMessage(values) == "connection refused to 127.0.0.1:\(port)")
        }

        @Test("IPv6 targets are bracketed in messages")
        func ipv6() async throws {
            // Machines without IPv6 loopback cannot run this one.
            // A parallel test may grab the freed port before the connect; try a few ports.
            var messages: [String?] = []
            for _ in 0..<3 {
                guard let port = try? closedPort(host: "::1") else { return }
                let values = await Host.values("tcp.connect", [.string("::1"), .integer(Int64(port))])
                let message = Host.failureMessage(values)
                if message == "connection refused to [::1]:\(port)" { return }
                messages.append(message)
            }
            Issue.record("never refused as [::1]:PORT: \(messages)")
        }

        @Test("an unknown host is a resolve failure")
        func unresolvable() async {
            let values = await Host.values("tcp.connect", [.string("no-such-host.invalid"), .integer(80), .integer(5)])
            #expect(Host.failureMessage(values) == "cannot resolve host no-such-host.invalid")
        }

        @Test("a port that never answers times out")
        func timeout() async throws {
            let blackhole = try Blackhole()
            defer { blackhole.close() }
            let (values, elapsed) = await Host.timedValues(
                "tcp.connect", [.string("127.0.0.1"), .integer(Int64(blackhole.port)), .number(0.3)])
            #expect(Host.failureMessage(values) == "timed out after 0.3 s")
            #expect(elapsed < 1.5)
        }
    }
}
