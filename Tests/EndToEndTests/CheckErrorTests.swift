import Foundation
import Testing

/// A check that fails sends `check-error` on its own stream, and the server goes on.
@Suite struct CheckErrorTests {
    static let cases: [(name: String, source: String, kind: String, mentions: String)] = [
        ("raises", #"schedule = "1h" function check_status() error("disk on fire") end"#, "error", "disk on fire"),
        ("loops", #"schedule = "1h" timeout = "200ms" function check_status() while true do end end"#,
         "timeout", "timeout"),
        ("returnsfunction", #"schedule = "1h" function check_status() return function() end end"#,
         "bad-result", "function"),
        ("returnsnan", #"schedule = "1h" function check_status() return { x = 0/0 } end"#, "bad-result", "NaN"),
        ("cyclic", #"schedule = "1h" function check_status() local t = {} t.self = t return t end"#,
         "bad-result", "cycl"),
        ("badname", #"schedule = "1h" function check_status() return 1, "no spaces" end"#, "bad-result",
         "event name"),
    ]

    @Test func everyFailureKindArrivesAsCheckError() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        for plugin in Self.cases { try folder.write(plugin.name + ".lua", plugin.source) }
        try folder.write("healthy.lua", #"schedule = "100ms" function check_status() return { ok = true } end"#)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        for plugin in Self.cases {
            let stream = try TestConnection(port: server.port)
            try stream.get("/events/\(plugin.name)")
            #expect(try stream.readHead().status == 200)
            let event = try #require(stream.nextEvent(seconds: 5), "no event from \(plugin.name)")
            #expect(event.event == "check-error", "\(plugin.name): \(event)")
            let data = try #require(event.object, "\(plugin.name): data is not an object: \(event.data)")
            #expect(data["plugin"] as? String == plugin.name)
            #expect(data["kind"] as? String == plugin.kind, "\(plugin.name): \(event.data)")
            let message = data["message"] as? String ?? ""
            #expect(message.localizedCaseInsensitiveContains(plugin.mentions), "\(plugin.name): \(message)")
        }

        // The healthy plugin kept its cadence through all of that.
        let healthy = try TestConnection(port: server.port)
        try healthy.get("/events/healthy")
        _ = try healthy.readHead()
        for _ in 0..<3 {
            let event = try #require(healthy.nextEvent(seconds: 3))
            #expect(event.event == "healthy" && event.data == #"{"ok":true}"#)
        }
        #expect(try httpGet(port: server.port, "/healthz").status == 200)
    }

    @Test func aStringResultCannotForgeAnEvent() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("forge.lua", #"schedule = "1h" function check_status() return "ok\n\nevent: admin\ndata: x" end"#)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        let stream = try TestConnection(port: server.port)
        try stream.get("/events/forge")
        _ = try stream.readHead()
        let event = try #require(stream.nextEvent(seconds: 5))
        #expect(event.event == "forge")
        #expect(event.data == #""ok\n\nevent: admin\ndata: x""#)
    }
}
