import Foundation
import LuaKit
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

        @Test("http_check.lua: up, and down when refused")
        func httpCheck() throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let original = try Self.source("http_check.lua")
            let up = try LuaScriptTests.check(original.replacingOccurrences(of: "http://127.0.0.1:8080/healthz", with: server.url("/ok")))
            #expect(up.json["up"] as? Bool == true)
            #expect(up.json["status"] as? Int == 200)
            #expect(up.event == .nil)

            let port = try closedPort()
            let down = try LuaScriptTests.check(original.replacingOccurrences(of: "127.0.0.1:8080", with: "127.0.0.1:\(port)"))
            #expect(down.json["up"] as? Bool == false)
            #expect(down.json["error"] as? String == "connection refused to 127.0.0.1:\(port)")
            #expect(down.event == .string("http_check.down"))
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
        }

        @Test("dns.lua resolves localhost with getent")
        func dns() throws {
            let (json, event) = try LuaScriptTests.check(try Self.source("dns.lua"))
            let names = try #require(json["names"] as? [String: [String: Any]])
            #expect(names["localhost"]?["ok"] as? Bool == true)
            #expect(event == .nil)
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
        }
    }
}
