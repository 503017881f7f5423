import Foundation
import Glibc
import LuaKit
import Testing

extension HostFunctionTests {
    @Suite("beacon.exec")
    struct ExecTests {
        @Test("/bin/echo: code, stdout, stderr, ms")
        func echo() async throws {
            let result = try #require(await Host.values("exec", [.array(["/bin/echo", "hello", "world"])]).first)
            #expect(result["code"] == .integer(0))
            #expect(result["stdout"] == .string("hello world\n"))
            #expect(result["stderr"] == .string(""))
            #expect(result["truncated"] == .nil)
            let ms = try #require(result["ms"].double)
            #expect(ms >= 0 && ms < 5000)
        }

        @Test("exit status and PATH lookup: sh -c 'exit 3'")
        func exitCode() async throws {
            let result = try #require(await Host.values("exec", [.array(["sh", "-c", "echo oops >&2; exit 3"])]).first)
            #expect(result["code"] == .integer(3))
            #expect(result["stderr"] == .string("oops\n"))
        }

        @Test("a signal gives 128+signal")
        func signalled() async throws {
            let result = try #require(await Host.values("exec", [.array(["sh", "-c", "kill -TERM $$"])]).first)
            #expect(result["code"] == .integer(128 + Int64(SIGTERM)))
        }

        @Test("a missing program cannot run")
        func missing() async {
            let values = await Host.values("exec", [.array(["no-such-program-beacon"])])
            #expect(Host.failureMessage(values) == "cannot run 'no-such-program-beacon': No such file or directory")
            let absolute = await Host.values("exec", [.array(["/nonexistent/prog"])])
            #expect(Host.failureMessage(absolute) == "cannot run '/nonexistent/prog': No such file or directory")
        }

        @Test("stdin is passed through cat; no stdin means /dev/null")
        func stdin() async throws {
            let text = "line one\nline two\n"
            let result = try #require(await Host.values("exec", [.array(["cat"]), .table(["stdin": .string(text)])]).first)
            #expect(result["stdout"] == .string(text))
            let empty = try #require(await Host.values("exec", [.array(["cat"])]).first)
            #expect(empty["stdout"] == .string(""))
            #expect(empty["code"] == .integer(0))
        }

        @Test("large stdin and output at once do not deadlock; output is capped")
        func chatty() async throws {
            let input = String(repeating: "0123456789abcdef", count: 200_000)  // 3.2 MB through cat
            let result = try #require(
                await Host.values("exec", [.array(["cat"]), .table(["stdin": .string(input), "timeout": .integer(20)])]).first)
            #expect(result["code"] == .integer(0))
            #expect(result["stdout"].string?.utf8.count == 1 << 20)
            #expect(result["truncated"] == .boolean(true))
        }

        @Test("env adds to the inherited environment")
        func environment() async throws {
            let options = LuaValue.table(["env": .table(["BEACON_TEST": .string("yes")])])
            let result = try #require(await Host.values("exec", [.array(["sh", "-c", "echo $BEACON_TEST; test -n \"$PATH\""]), options]).first)
            #expect(result["stdout"] == .string("yes\n"))
            #expect(result["code"] == .integer(0))
        }

        @Test("the child gets only stdin, stdout and stderr")
        func descriptors() async throws {
            let leaked = open("/dev/null", O_RDONLY)  // not close-on-exec on purpose
            defer { close(leaked) }
            let result = try #require(await Host.values("exec", [.array(["sh", "-c", "ls /proc/$$/fd"])]).first)
            #expect(result["stdout"] == .string("0\n1\n2\n"))
        }

        @Test("the finished child is reaped (no zombie)")
        func reaped() async throws {
            let result = try #require(await Host.values("exec", [.array(["sh", "-c", "echo $$"])]).first)
            let pid = try #require(result["stdout"].string.flatMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) })
            try #require(pid > 1)
            #expect(kill(pid, 0) == -1 && errno == ESRCH)
        }

        @Test("at its timeout the whole process group is killed, quickly")
        func timeout() async throws {
            let file = "/tmp/beacon-exec-test-\(getpid())-\(Int.random(in: 0..<1_000_000))"
            defer { unlink(file) }
            let script = "echo $$ > \(file); sleep 10 & echo $! >> \(file); wait"
            let (values, elapsed) = await Host.timedValues("exec", [.array(["sh", "-c", script]), .table(["timeout": .number(0.3)])])
            #expect(Host.failureMessage(values) == "timed out after 0.3 s")
            #expect(elapsed >= 0.25 && elapsed < 1.5)

            let pids = try String(contentsOfFile: file, encoding: .utf8).split(separator: "\n").compactMap { pid_t($0) }
            try #require(pids.count == 2 && pids.allSatisfy { $0 > 1 })
            #expect(await ProcessProbe.isGone(pids[0]), "sh still exists")
            #expect(await ProcessProbe.isGone(pids[1]), "its background sleep still exists")
            #expect(killpg(pids[0], 0) == -1 && errno == ESRCH, "the process group still exists")
        }

        @Test("the run's deadline wins over a longer timeout")
        func deadlineWins() async {
            let (values, elapsed) = await Host.timedValues(
                "exec", [.array(["sleep", "10"]), .table(["timeout": .integer(5)])], deadline: .after(seconds: 0.4))
            #expect(Host.failureMessage(values)?.hasPrefix("timed out after 0.") == true)
            #expect(elapsed < 1.5)
        }

        @Test("without a timeout the run's remaining budget is the limit")
        func budgetIsDefault() async {
            let (values, elapsed) = await Host.timedValues("exec", [.array(["sleep", "10"])], deadline: .after(seconds: 0.3))
            #expect(Host.failureMessage(values) == "timed out after 0.3 s")
            #expect(elapsed < 1.5)
        }
    }
}
