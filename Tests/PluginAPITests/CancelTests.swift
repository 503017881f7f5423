import Foundation
import Glibc
import LuaKit
import Testing

extension HostFunctionTests {
    /// When the caller stops waiting (`cancel()`: run over, plugin reloaded or stopped), the work
    /// stops at once: the connection closes, the child and its group are killed and reaped, and no
    /// descriptor stays open.
    @Suite("cancelling a pending call")
    struct CancelTests {
        @Test("http.get: the connection to the server closes")
        func http() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let pending = try #require(Host.start("http.get", [.string(server.url("/hang")), .table(["timeout": .integer(20)])]))
            try #require(await ProcessProbe.eventually { server.connections.open == 1 })
            pending.cancel()
            #expect(await ProcessProbe.eventually { server.connections.open == 0 }, "the request's connection is still open")
        }

        @Test("tcp.connect: the connecting socket is closed")
        func tcp() async throws {
            let blackhole = try Blackhole()
            defer { blackhole.close() }
            let pending = try #require(Host.start("tcp.connect", [.string("127.0.0.1"), .integer(Int64(blackhole.port)), .integer(20)]))
            try #require(await ProcessProbe.eventually { blackhole.connectingSockets() == 1 }, "no SYN_SENT socket to the port")
            pending.cancel()
            #expect(await ProcessProbe.eventually { blackhole.connectingSockets() == 0 }, "the connecting socket is still there")
        }

        @Test("exec: the group is killed, the child reaped, its pipes and pidfd closed")
        func exec() async throws {
            let file = "/tmp/beacon-cancel-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
            defer { unlink(file) }
            let pidfdsBefore = ProcessProbe.pidfdCount()
            let script = "echo $$ > \(file); sleep 30 & echo $! >> \(file); wait"
            let pending = try #require(Host.start("exec", [.array(["sh", "-c", script]), .table(["stdin": .string("")])]))
            var pids: [pid_t] = []
            try #require(await ProcessProbe.eventually {
                pids = ((try? String(contentsOfFile: file, encoding: .utf8)) ?? "").split(separator: "\n").compactMap { pid_t($0) }
                return pids.count == 2
            })
            let pipes = [1, 2].compactMap { ProcessProbe.target(pid: pids[0], fd: $0) }
            try #require(pipes.count == 2 && pipes.allSatisfy { $0.hasPrefix("pipe:") })
            #expect(ProcessProbe.descriptorTargets().filter(pipes.contains).count == 2, "our ends of its pipes")

            pending.cancel()
            #expect(await ProcessProbe.isGone(pids[0]), "sh is still there (running or a zombie)")
            #expect(await ProcessProbe.isGone(pids[1]), "its background sleep is still there")
            #expect(killpg(pids[0], 0) == -1 && errno == ESRCH, "the process group still exists")
            #expect(!ProcessProbe.children().contains(pids[0]))
            #expect(await ProcessProbe.eventually { !ProcessProbe.descriptorTargets().contains(where: pipes.contains) },
                "a pipe of the child is still open")
            #expect(await ProcessProbe.eventually { ProcessProbe.pidfdCount() <= pidfdsBefore }, "a pidfd is still open")
        }

        @Test("50 sleeping children: every one killed and reaped, every descriptor closed")
        func manyChildren() async throws {
            let pidfdsBefore = ProcessProbe.pidfdCount()
            let childrenBefore = Set(ProcessProbe.children())
            let calls = (0..<50).compactMap { _ in Host.start("exec", [.array(["sleep", "30.25"])]) }
            try #require(calls.count == 50)
            var started: [pid_t] = []
            try #require(await ProcessProbe.eventually {
                started = ProcessProbe.children().filter { !childrenBefore.contains($0) && ProcessProbe.commandLine($0) == "sleep 30.25" }
                return started.count == 50
            })
            let pipes = Set(started.flatMap { pid in [1, 2].compactMap { ProcessProbe.target(pid: pid, fd: $0) } })
            #expect(pipes.count == 100)

            for call in calls { call.cancel() }
            for pid in started {
                #expect(await ProcessProbe.isGone(pid), "child \(pid) is still there (running or a zombie)")
            }
            #expect(await ProcessProbe.eventually { !ProcessProbe.descriptorTargets().contains(where: pipes.contains) },
                "a pipe of a child is still open")
            #expect(await ProcessProbe.eventually { ProcessProbe.pidfdCount() <= pidfdsBefore }, "a pidfd is still open")
        }
    }
}
