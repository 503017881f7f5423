import Foundation
import Glibc
import LuaKit
import Testing

extension HostFunctionTests {
    /// Every function returns `.pending` at once and answers later, from its work's completion, with
    /// the values it always had.
    @Suite("answers come later")
    struct PendingAnswerTests {
        @Test("http.get: pending while the server takes its time, then the response")
        func http() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let pending = try #require(Host.start("http.get", [.string(server.url("/slow?ms=300"))]))
            let response = try #require(await Host.answer(pending)?.first)
            #expect(response["status"] == .integer(200))
            #expect(response["body"] == .string("slow"))
            #expect(response["url"] == .string(server.url("/slow?ms=300")))
            #expect(response["ms"].double.map { $0 >= 250 } == true)
        }

        @Test("http.request: pending, then the echoed body")
        func request() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let arguments: [LuaValue] = [.table(["method": .string("PUT"), "url": .string(server.url("/echo")), "body": .string("x")])]
            let pending = try #require(Host.start("http.request", arguments))
            #expect(await Host.answer(pending)?.first?["body"] == .string("PUT x"))
        }

        @Test("tcp.connect: pending, then true and the milliseconds")
        func tcp() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let pending = try #require(Host.start("tcp.connect", [.string("127.0.0.1"), .integer(Int64(server.port))]))
            let values = try #require(await Host.answer(pending))
            #expect(values.first == .boolean(true))
            #expect(values.count == 2 && values[1].double != nil)
        }

        @Test("exec: pending while the program runs, then its result")
        func exec() async throws {
            let pending = try #require(Host.start("exec", [.array(["sh", "-c", "sleep 0.3; echo done; exit 2"])]))
            let result = try #require(await Host.answer(pending)?.first)
            #expect(result["code"] == .integer(2))
            #expect(result["stdout"] == .string("done\n"))
            #expect(result["stderr"] == .string(""))
            #expect(result["ms"].double.map { $0 >= 250 } == true)
        }

        @Test("failures are answers too: refused, timed out, cannot run")
        func failures() async throws {
            let port = try closedPort()
            let refused = try #require(Host.start("http.get", [.string("http://127.0.0.1:\(port)/")]))
            #expect(await Host.answer(refused).flatMap(Host.failureMessage) == "connection refused to 127.0.0.1:\(port)")
            let slow = try #require(Host.start("exec", [.array(["sleep", "5"]), .table(["timeout": .number(0.2)])]))
            #expect(await Host.answer(slow).flatMap(Host.failureMessage) == "timed out after 0.2 s")
        }

        @Test("the call returns before the work is done: nothing has answered yet when it returns")
        func returnsAtOnce() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let calls: [(String, [LuaValue])] = [
                ("http.get", [.string(server.url("/hang")), .table(["timeout": .integer(20)])]),
                ("exec", [.array(["sleep", "20"])]),
                ("sleep", [.integer(20)]),
            ]
            for (name, arguments) in calls {
                let pending = try #require(Host.start(name, arguments))
                // Waiting until now gives the answer only if it was there already; it also cancels.
                if let early = pending.wait(until: .now()) {
                    Issue.record("beacon.\(name) had answered before it returned: \(early)")
                }
                #expect(pending.isCancelled)
            }
        }
    }
}
