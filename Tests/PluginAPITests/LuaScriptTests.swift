import Foundation
import LuaKit
import PluginAPI
import Testing

extension HostFunctionTests {
    /// The host functions as plugins see them: installed in a real `LuaSandbox` as `beacon.*`.
    @Suite("through a LuaSandbox")
    struct LuaScriptTests {
        /// Runs `source`, then `check_status()`, and returns the result's JSON as a dictionary.
        static func check(_ source: String, library: String? = nil, deadline: Double = 10) throws -> (
            json: [String: Any], event: LuaValue
        ) {
            let environment = LuaEnvironment(libraryDirectory: library, hostFunctions: PluginAPI.hostFunctions())
            let sandbox = try LuaSandbox(limits: LuaLimits(), environment: environment)
            defer { sandbox.close(deadline: .after(seconds: 1)) }
            try sandbox.run(source: Array(source.utf8), chunkName: "test.lua", deadline: .after(seconds: 5))
            let result = try sandbox.call("check_status", deadline: .after(seconds: deadline))
            let object = try JSONSerialization.jsonObject(with: Data(result.json))
            return (try #require(object as? [String: Any]), result.second)
        }

        @Test("http, tcp and exec from Lua")
        func allFunctions() throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let source = """
                function check_status()
                  local r = assert(beacon.http.get("\(server.url("/ok"))"))
                  local p = assert(beacon.http.request{ method = "PUT", url = "\(server.url("/echo"))", body = "x" })
                  local missing, why = beacon.http.get("\(server.url("/slow?ms=2000"))", { timeout = 0.2 })
                  local up, ms = beacon.tcp.connect("127.0.0.1", \(server.port))
                  local e = assert(beacon.exec({ "sh", "-c", "printf '%s' \\"$1\\"; exit 4", "sh", "arg" }))
                  return {
                    status = r.status, ctype = r.headers["content-type"], body = r.body, put = p.body,
                    missing = missing == nil, why = why, up = up, tcp_ms = type(ms),
                    code = e.code, out = e.stdout,
                  }
                end
                """
            let (json, _) = try Self.check(source)
            #expect(json["status"] as? Int == 200)
            #expect(json["ctype"] as? String == "text/plain")
            #expect(json["body"] as? String == "hello")
            #expect(json["put"] as? String == "PUT x")
            #expect(json["missing"] as? Bool == true)
            #expect(json["why"] as? String == "timed out after 0.2 s")
            #expect(json["up"] as? Bool == true)
            #expect(json["tcp_ms"] as? String == "number")
            #expect(json["code"] as? Int == 4)
            #expect(json["out"] as? String == "arg")
        }

        @Test("argument errors raise Lua errors that pcall catches")
        func raised() throws {
            let source = """
                function check_status()
                  local ok, err = pcall(beacon.exec, "ls -l")
                  return { ok = ok, err = tostring(err) }
                end
                """
            let (json, _) = try Self.check(source)
            #expect(json["ok"] as? Bool == false)
            let message = try #require(json["err"] as? String)
            #expect(message.contains("beacon.exec: argv must be an array of strings"), "\(message)")
        }

        @Test("a host call cannot outlive the run: the check's deadline bounds exec")
        func deadline() throws {
            let source = """
                function check_status()
                  local r, err = beacon.exec({ "sleep", "5" })
                  return { err = err }
                end
                """
            let start = LuaDeadline.now()
            let outcome = Result { try Self.check(source, deadline: 0.5) }
            #expect(-start.secondsRemaining < 2)
            // Either the call returned "timed out" in time, or the run's own timeout fired first.
            if case .success(let (json, _)) = outcome {
                #expect((json["err"] as? String)?.hasPrefix("timed out after 0.") == true)
            }
        }
    }
}
