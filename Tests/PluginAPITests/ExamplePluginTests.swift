import Foundation
import LuaKit
import PluginAPI
import Testing

extension HostFunctionTests {
    /// The plugins in examples/plugins load and run against local targets.
    @Suite("example plugins")
    struct ExamplePluginTests {
        static let examples = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("examples/plugins")

        static func source(_ name: String) throws -> String {
            try String(contentsOf: examples.appendingPathComponent(name), encoding: .utf8)
        }

        /// The level a run of `source` set with `beacon.status`.
        static func status(_ source: String, library: String? = nil) throws -> StatusReport? {
            let environment = LuaEnvironment(libraryDirectory: library, hostFunctions: PluginAPI.hostFunctions())
            let sandbox = try LuaSandbox(limits: LuaLimits(), environment: environment)
            defer { sandbox.close(deadline: .after(seconds: 1)) }
            try sandbox.run(source: Array(source.utf8), chunkName: "test.lua", deadline: .after(seconds: 5))
            return try sandbox.call("check_status", deadline: .after(seconds: 10)).status
        }

        @Test("http_check.lua: up, and down when refused")
        func httpCheck() throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let original = try Self.source("http_check.lua")
            let up = try LuaScriptTests.check(original.replacingOccurrences(of: "http://127.0.0.1:8080/healthz", with: server.url("/ok")))
            #expect(up.json["up"] as? Bool == true)
            #expect(up.json["status"] as? Int == 200)
            #expect(up.event == .nil)
            let fast = original.replacingOccurrences(of: "http://127.0.0.1:8080/healthz", with: server.url("/ok"))
            #expect(try Self.status(fast)?.level == .ok)
            let slow = original.replacingOccurrences(of: "http://127.0.0.1:8080/healthz", with: server.url("/slow?ms=300"))
                .replacingOccurrences(of: "SLOW_MS = 1000", with: "SLOW_MS = 100")
            let late = try #require(try Self.status(slow))
            #expect(late.level == .warning && late.summary?.hasPrefix("slow: ") == true, "\(late)")

            let port = try closedPort()
            let refused = original.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(port)")
            let down = try LuaScriptTests.check(refused)
            #expect(down.json["up"] as? Bool == false)
            #expect(down.json["error"] as? String == "connection refused to 127.0.0.1:\(port)")
            #expect(down.event == .string("http_check.down"))
            #expect(try Self.status(refused) == StatusReport(level: .critical, summary: "connection refused to 127.0.0.1:\(port)"))
            let failing = original.replacingOccurrences(of: "http://127.0.0.1:8080/healthz", with: server.url("/status/503"))
            #expect(try Self.status(failing) == StatusReport(level: .critical, summary: "HTTP 503"))
        }

        @Test("http_list.lua: every endpoint at once, down when any is")
        func httpList() throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let port = try closedPort()
            let source = try Self.source("http_list.lua")
                .replacingOccurrences(of: "http://127.0.0.1:8080/healthz", with: server.url("/slow?ms=300"))
                .replacingOccurrences(of: "http://127.0.0.1:8080/plugins", with: server.url("/status/503"))
                .replacingOccurrences(of: "http://127.0.0.1:8080/metrics", with: "http://127.0.0.1:\(port)/")
            let (json, event) = try LuaScriptTests.check(source)
            let endpoints = try #require(json["endpoints"] as? [[String: Any]])
            #expect(endpoints.map { $0["up"] as? Bool } == [true, false, false])
            #expect(endpoints[1]["status"] as? Int == 503)
            #expect(endpoints[2]["error"] as? String == "connection refused to 127.0.0.1:\(port)")
            #expect(json["down"] as? Int == 2)
            #expect(event == .string("http_list.down"))
            #expect(try Self.status(source) == StatusReport(level: .critical, summary: "2 of 3 down"))
            let allUp = try Self.source("http_list.lua")
                .replacingOccurrences(of: "http://127.0.0.1:8080/healthz", with: server.url("/slow?ms=300"))
                .replacingOccurrences(of: "http://127.0.0.1:8080/plugins", with: server.url("/ok"))
                .replacingOccurrences(of: "http://127.0.0.1:8080/metrics", with: server.url("/ok"))
            #expect(try Self.status(allUp) == StatusReport(level: .ok, summary: "3 up"))
            let oneSlow = allUp.replacingOccurrences(of: "SLOW_MS = 1000", with: "SLOW_MS = 100")
            #expect(try Self.status(oneSlow) == StatusReport(level: .warning, summary: "1 of 3 slower than 100 ms"))
        }

        @Test("tcp_port.lua reports each port")
        func tcpPort() throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let port = try closedPort()
            let source = try Self.source("tcp_port.lua")
                .replacingOccurrences(of: "port = 8080", with: "port = \(server.port)")
                .replacingOccurrences(of: "port = 22", with: "port = \(port)")
            let (json, event) = try LuaScriptTests.check(source)
            let ports = try #require(json["ports"] as? [String: [String: Any]])
            #expect(ports["beacon"]?["up"] as? Bool == true)
            #expect(ports["ssh"]?["error"] as? String == "connection refused to 127.0.0.1:\(port)")
            #expect(event == .string("tcp_port.down"))
            #expect(try Self.status(source) == StatusReport(level: .critical, summary: "down: ssh"))
        }

        @Test("dns.lua resolves localhost with getent")
        func dns() throws {
            let (json, event) = try LuaScriptTests.check(try Self.source("dns.lua"))
            let names = try #require(json["names"] as? [String: [String: Any]])
            #expect(names["localhost"]?["ok"] as? Bool == true)
            #expect(event == .nil)
            #expect(try Self.status(try Self.source("dns.lua"))?.level == .ok)
            let missing = try Self.source("dns.lua").replacingOccurrences(of: #"{ "localhost" }"#, with: #"{ "no-such-host.invalid" }"#)
            #expect(try Self.status(missing) == StatusReport(level: .critical, summary: "1 of 1 names do not resolve"))
        }

        @Test("disk_usage.lua uses lib/thresholds.lua")
        func diskUsage() throws {
            let library = Self.examples.appendingPathComponent("lib").path
            let (json, event) = try LuaScriptTests.check(try Self.source("disk_usage.lua"), library: library)
            let mounts = try #require(json["mounts"] as? [String: [String: Any]])
            let level = try #require(json["level"] as? String)
            #expect(mounts["/"]?["used_pct"] is Int)
            #expect(["ok", "warn", "crit"].contains(level))
            #expect(event == .string(level == "ok" ? "disk_usage" : "disk_usage.\(level)"))
            // Limits below and above any disk's use give each level.
            let source = try Self.source("disk_usage.lua")
            let full = try #require(try Self.status(
                source.replacingOccurrences(of: "{ warn = 80, crit = 90 }", with: "{ warn = 0, crit = 0 }"), library: library))
            #expect(full.level == .critical)
            #expect(full.summary?.range(of: #"^/ \d+% used$"#, options: .regularExpression) != nil, "\(full)")
            #expect(try Self.status(
                source.replacingOccurrences(of: "{ warn = 80, crit = 90 }", with: "{ warn = 0, crit = 101 }"), library: library)?
                .level == .warning)
            #expect(try Self.status(
                source.replacingOccurrences(of: "{ warn = 80, crit = 90 }", with: "{ warn = 101, crit = 101 }"), library: library)?
                .level == .ok)
        }

        @Test("memory.lua sets a level from what is available")
        func memory() throws {
            let report = try #require(try Self.status(try Self.source("memory.lua")))
            #expect(report.summary?.hasSuffix("% available") == true, "\(report)")
            let critical = try Self.source("memory.lua").replacingOccurrences(of: "free < 0.10", with: "free < 2")
            #expect(try Self.status(critical)?.level == .critical)
        }
    }
}
