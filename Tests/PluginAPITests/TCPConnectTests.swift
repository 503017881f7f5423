import Glibc
import LuaKit
import Testing

@Suite("beacon.tcp.connect")
struct TCPConnectTests {
    @Test("a listening port connects")
    func open() throws {
        let server = try TestHTTPServer()
        defer { server.shutdown() }
        let values = Host.values("tcp.connect", [.string("127.0.0.1"), .integer(Int64(server.port))])
        #expect(values.first == .boolean(true))
        let ms = try #require(values.count == 2 ? values[1].double : nil)
        #expect(ms >= 0 && ms < 5000)
    }

    @Test("a closed port is refused")
    func refused() throws {
        let port = try closedPort()
        let values = Host.values("tcp.connect", [.string("127.0.0.1"), .integer(Int64(port))])
        #expect(Host.failureMessage(values) == "connection refused to 127.0.0.1:\(port)")
    }

    @Test("IPv6 targets are bracketed in messages")
    func ipv6() throws {
        // Machines without IPv6 loopback cannot run this one.
        // A parallel test may grab the freed port before the connect; try a few ports.
        var messages: [String?] = []
        for _ in 0..<3 {
            guard let port = try? closedPort(host: "::1") else { return }
            let values = Host.values("tcp.connect", [.string("::1"), .integer(Int64(port))])
            let message = Host.failureMessage(values)
            if message == "connection refused to [::1]:\(port)" { return }
            messages.append(message)
        }
        Issue.record("never refused as [::1]:PORT: \(messages)")
    }

    @Test("an unknown host is a resolve failure")
    func unresolvable() {
        let values = Host.values("tcp.connect", [.string("no-such-host.invalid"), .integer(80), .integer(5)])
        #expect(Host.failureMessage(values) == "cannot resolve host no-such-host.invalid")
    }

    @Test("a port that never answers times out")
    func timeout() throws {
        // A listener with a backlog of 0 that never accepts: once its queue is full the kernel
        // drops further SYNs, so connects hang, which is what a filtered port looks like.
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        try #require(bound == 0 && listen(fd, 0) == 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        let port = Int64(UInt16(bigEndian: address.sin_port))

        var message: String?
        for _ in 0..<6 where message == nil {
            let start = LuaDeadline.now()
            let values = Host.values("tcp.connect", [.string("127.0.0.1"), .integer(port), .number(0.3)])
            if let failure = Host.failureMessage(values) {
                message = failure
                #expect(-start.secondsRemaining < 1.5)
            }
        }
        #expect(message == "timed out after 0.3 s")
    }
}
