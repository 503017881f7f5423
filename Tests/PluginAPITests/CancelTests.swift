import Foundation
import Glibc
import LuaKit
import Testing

/// When the caller stops waiting (`cancel()`: run over, plugin reloaded or stopped), the work
/// stops at once: the connection closes, the child and its group are killed and reaped, and no
/// descriptor stays open.
@Suite("cancelling a pending call")
struct CancelTests {
    @Test("http.get: the connection to the server closes")
    func http() throws {
        let server = try TestHTTPServer()
        defer { server.shutdown() }
        let pending = try #require(Host.start("http.get", [.string(server.url("/hang")), .table(["timeout": .integer(20)])]))
        try #require(ProcessProbe.eventually { server.connections.open == 1 })
        pending.cancel()
        #expect(ProcessProbe.eventually { server.connections.open == 0 }, "the request's connection is still open")
    }

    @Test("tcp.connect: the connecting socket is closed")
    func tcp() throws {
        let blackhole = try Blackhole()
        defer { blackhole.close() }
        let pending = try #require(Host.start("tcp.connect", [.string("127.0.0.1"), .integer(Int64(blackhole.port)), .integer(20)]))
        try #require(ProcessProbe.eventually { blackhole.connectingSockets() == 1 }, "no SYN_SENT socket to the port")
        pending.cancel()
        #expect(ProcessProbe.eventually { blackhole.connectingSockets() == 0 }, "the connecting socket is still there")
    }

    @Test("exec: the group is killed, the child reaped, its pipes and pidfd closed")
    func exec() throws {
        let file = "/tmp/beacon-cancel-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
        defer { unlink(file) }
        let pidfdsBefore = ProcessProbe.pidfdCount()
        let script = "echo $$ > \(file); sleep 30 & echo $! >> \(file); wait"
        let pending = try #require(Host.start("exec", [.array(["sh", "-c", script]), .table(["stdin": .string("")])]))
        var pids: [pid_t] = []
        try #require(ProcessProbe.eventually {
            pids = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
            return pids.count == 2
        })
        let pipes = [1, 2].compactMap { ProcessProbe.target(pid: pids[0], fd: $0) }
        try #require(pipes.count == 2 && pipes.allSatisfy { $0.hasPrefix("pipe:") })
        #expect(ProcessProbe.descriptorTargets().filter(pipes.contains).count == 2, "our ends of its pipes")

        pending.cancel()
        #expect(ProcessProbe.isGone(pids[0]), "sh is still there (running or a zombie)")
        #expect(ProcessProbe.isGone(pids[1]), "its background sleep is still there")
        #expect(killpg(pids[0], 0) == -1 && errno == ESRCH, "the process group still exists")
        #expect(!ProcessProbe.children().contains(pids[0]))
        #expect(ProcessProbe.eventually { !ProcessProbe.descriptorTargets().contains(where: pipes.contains) },
            "a pipe of the child is still open")
        #expect(ProcessProbe.eventually { ProcessProbe.pidfdCount() <= pidfdsBefore }, "a pidfd is still open")
    }

    @Test("50 sleeping children: every one killed and reaped, every descriptor closed")
    func manyChildren() throws {
        let pidfdsBefore = ProcessProbe.pidfdCount()
        let childrenBefore = Set(ProcessProbe.children())
        let calls = (0..<50).compactMap { _ in Host.start("exec", [.array(["sleep", "30.25"])]) }
        try #require(calls.count == 50)
        var started: [pid_t] = []
        try #require(ProcessProbe.eventually {
            started = ProcessProbe.children().filter { !childrenBefore.contains($0) && ProcessProbe.commandLine($0) == "sleep 30.25" }
            return started.count == 50
        })
        let pipes = Set(started.flatMap { pid in [1, 2].compactMap { ProcessProbe.target(pid: pid, fd: $0) } })
        #expect(pipes.count == 100)

        for call in calls { call.cancel() }
        #expect(started.allSatisfy { ProcessProbe.isGone($0) }, "a child is still there (running or a zombie)")
        #expect(ProcessProbe.eventually { !ProcessProbe.descriptorTargets().contains(where: pipes.contains) },
            "a pipe of a child is still open")
        #expect(ProcessProbe.eventually { ProcessProbe.pidfdCount() <= pidfdsBefore }, "a pidfd is still open")
    }
}

/// A listening socket on 127.0.0.1 whose accept queue is full, so that further connects hang in
/// SYN_SENT, as they do against a filtered port.
final class Blackhole {
    let port: Int
    private let listener: Int32
    private var fillers: [Int32] = []

    init() throws {
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        self.listener = listener
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(listener, $0, length) == 0 && listen(listener, 0) == 0 && getsockname(listener, $0, &length) == 0
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        try #require(listener >= 0 && bound)
        // Connect until one hangs: the queue is full from then on.
        for _ in 0..<8 {
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
            _ = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            var entry = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
            if poll(&entry, 1, 300) == 1 {
                fillers.append(fd)
            } else {
                Glibc.close(fd)
                return
            }
        }
    }

    /// Sockets of this machine in SYN_SENT towards the port (from /proc/net/tcp).
    func connectingSockets() -> Int {
        let table = ProcessProbe.read("/proc/self/net/tcp")
        let hex = String(port, radix: 16, uppercase: true)
        let remote = "0100007F:" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        return table.split(separator: "\n").filter { line in
            let columns = line.split(separator: " ")
            return columns.count > 3 && columns[2] == remote && columns[3] == "02"
        }.count
    }

    func close() {
        for fd in fillers { Glibc.close(fd) }
        Glibc.close(listener)
    }
}
