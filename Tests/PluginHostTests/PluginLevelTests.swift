import Foundation
import Logging
import LuaKit
import PluginHost
import Testing

/// Levels set with `beacon.status`, as the host keeps them and announces their changes.
@Suite struct PluginLevelTests {
    private func makeHost(_ folder: TempFolder, _ sink: RecordingSink) -> PluginHost {
        PluginHost(
            configuration: PluginHostConfiguration(directory: folder.path, pluginMemoryBytes: 16 << 20, startSpread: 0),
            sink: sink, logger: Logger(label: "test"))
    }

    /// A plugin that sets the levels of `levels` in turn, one per run (`error` fails the run,
    /// `none` sets no level), then stays at the last.
    private func script(_ levels: [String], schedule: String = "30ms") -> String {
        let list = levels.map { "'\($0)'" }.joined(separator: ", ")
        return """
            schedule = "\(schedule)"
            levels = { \(list) }
            n = 0
            function check_status()
              n = math.min(n + 1, #levels)
              local level = levels[n]
              if level == 'error' then error('run ' .. n .. ' failed') end
              if level ~= 'none' then beacon.status(level, 'run ' .. n) end
              return { n = n }
            end
            """
    }

    private func changes(_ events: [RecordingSink.Published]) -> [[String: Any]] {
        events.filter { $0.event == "status-change" }.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.json.utf8)) as? [String: Any]
        }
    }

    @Test func aChangeOfLevelIsAnnouncedAfterItsResult() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("web.lua", script(["ok", "ok", "critical", "critical", "error", "none", "ok"]))
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        try host.start()
        defer { host.stop(timeout: 5) }
        // 7 results and 4 changes: ok→critical, critical→unknown, unknown→null, null→ok.
        let events = sink.wait(for: "web", count: 11)
        host.stop(timeout: 5)
        let names = events.prefix(11).map(\.event)
        #expect(names == [
            "web", "web", "web", "status-change", "web", "check-error", "status-change", "web", "status-change",
            "web", "status-change",
        ], "\(names)")
        let announced = changes(Array(events.prefix(11)))
        #expect(announced.map { $0["from"] as? String ?? "null" } == ["ok", "critical", "unknown", "null"])
        #expect(announced.map { $0["to"] as? String ?? "null" } == ["critical", "unknown", "null", "ok"])
        #expect(announced.allSatisfy { $0["plugin"] as? String == "web" })
        // `since` is when the level that ended began: the first ok result, then the first critical.
        let firstOk = try #require(events[0].since)
        #expect(announced[0]["since"] as? Double == firstOk)
        #expect(announced[1]["since"] as? Double == events[2].since)
        #expect((announced[0]["result"] as? [String: Any])?["n"] as? Int == 3)
        #expect((announced[1]["result"] as? [String: Any])?["kind"] as? String == "error")
        #expect((announced[1]["summary"] as? String)?.contains("run 5 failed") == true, "\(announced[1])")
        // Each event carries the level once it was published.
        #expect(events.prefix(11).map { $0.status ?? "null" } == [
            "ok", "ok", "critical", "critical", "critical", "unknown", "unknown", "null", "null", "ok", "ok",
        ])
    }

    @Test func pluginsShowTheLevelItsSummaryAndSince() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("disk.lua", script(["warning"], schedule: "1h"))
        try folder.write("plain.lua", #"schedule = "1h" function check_status() return 1 end"#)
        try folder.write("broken.lua", "schedule = ")
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        let before = Date().timeIntervalSince1970
        try host.start()
        defer { host.stop(timeout: 5) }
        _ = sink.wait(for: "disk", count: 1)
        _ = sink.wait(for: "plain", count: 1)
        let disk = try #require(host.level(named: "disk"))
        #expect(disk.status == .warning && disk.summary == "run 1")
        #expect(try #require(disk.since) >= before - 0.001)
        let body = String(decoding: try #require(host.pluginJSON(named: "disk")), as: UTF8.self)
        #expect(body.contains(#""status":"warning""#) && body.contains(#""summary":"run 1""#), "\(body)")
        #expect(body.contains(#""status_since":"#), "\(body)")
        let plain = String(decoding: try #require(host.pluginJSON(named: "plain")), as: UTF8.self)
        #expect(plain.contains(#""status":null"#) && plain.contains(#""summary":null"#), "\(plain)")
        // A plugin that never loaded cannot tell: unknown, with the load error.
        #expect(host.level(named: "broken")?.status == .unknown)

        let overview = host.overview()
        #expect(overview.status == .unknown)
        #expect(overview.counts == StatusOverview.Counts(ok: 0, warning: 1, critical: 0, unknown: 1, none: 1))
        #expect(overview.plugins.map(\.name) == ["broken", "disk", "plain"])
        let text = String(decoding: StatusJSON.encode(overview), as: UTF8.self)
        #expect(text.hasPrefix(#"{"counts":{"critical":0,"none":1,"ok":0,"unknown":1,"warning":1},"plugins":[{"name":"broken","#), "\(text)")
        #expect(text.contains(#"{"name":"plain","since":"#) && text.contains(#""status":null}"#), "\(text)")
        #expect(text.hasSuffix(#""status":"unknown"}"#), "\(text)")
    }

    @Test func aReloadKeepsTheLevelAndItsSince() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("db.lua", script(["critical"], schedule: "50ms"))
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        try host.start()
        defer { host.stop(timeout: 5) }
        let first = sink.wait(for: "db", count: 2)
        let since = try #require(first[0].since)

        // A new version at the same level: no change, the same since.
        try folder.write("db.lua", script(["critical"], schedule: "40ms") + "-- v2\n")
        host.reload()
        let count = sink.published("db").count
        let same = sink.wait(for: "db", count: count + 3)
        #expect(changes(same).isEmpty, "\(same.map(\.event))")
        #expect(host.level(named: "db")?.since == since)

        // A version at another level: one change, from critical since the first run.
        try folder.write("db.lua", script(["warning"], schedule: "40ms"))
        host.reload()
        let deadline = Date().addingTimeInterval(10)
        while changes(sink.published("db")).isEmpty, Date() < deadline { usleep(5_000) }
        let change = try #require(changes(sink.published("db")).first)
        #expect(change["from"] as? String == "critical" && change["to"] as? String == "warning")
        #expect(change["since"] as? Double == since)
        let warningSince = try #require(host.level(named: "db")?.since)

        // Removed and added again: it goes on from its level.
        try FileManager.default.moveItem(atPath: folder.path + "/db.lua", toPath: folder.path + "/db.off")
        host.reload()
        #expect(host.level(named: "db") == nil)
        try FileManager.default.moveItem(atPath: folder.path + "/db.off", toPath: folder.path + "/db.lua")
        host.reload()
        #expect(host.level(named: "db")?.status == .warning)
        #expect(host.level(named: "db")?.since == warningSince)
        let after = sink.published("db").count
        let later = sink.wait(for: "db", count: after + 2)
        #expect(changes(later).count == 1, "\(later.map(\.event))")
    }

    @Test(arguments: [("critical", 0), ("ok", 1)])
    func theRememberedLevelDecidesTheFirstChange(remembered: String, expectedChanges: Int) throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("api.lua", script(["critical"], schedule: "1h"))
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        host.remember(["api": PluginLevel(storedStatus: remembered, sinceMilliseconds: 1_700_000_000_500)])
        #expect(host.level(named: "api") == nil)
        try host.start()
        defer { host.stop(timeout: 5) }
        _ = sink.wait(for: "api", count: 1)
        Thread.sleep(forTimeInterval: 0.2)
        let events = sink.published("api")
        #expect(changes(events).count == expectedChanges, "\(events.map(\.event))")
        if expectedChanges == 1 {
            #expect(changes(events)[0]["since"] as? Double == 1_700_000_000.5)
            #expect(host.level(named: "api")?.since != 1_700_000_000.5)
        } else {
            #expect(host.level(named: "api")?.since == 1_700_000_000.5)
        }
    }

    @Test func withoutAnythingRememberedTheFirstResultAnnouncesNothing() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("cold.lua", script(["critical"], schedule: "1h"))
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        try host.start()
        defer { host.stop(timeout: 5) }
        _ = sink.wait(for: "cold", count: 1)
        Thread.sleep(forTimeInterval: 0.2)
        #expect(sink.published("cold").map(\.event) == ["cold"])
    }

    @Test func aCheckCannotSendStatusChangeItself() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("forge.lua", #"schedule = "1h" function check_status() return {}, "status-change" end"#)
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        try host.start()
        defer { host.stop(timeout: 5) }
        let events = sink.wait(for: "forge", count: 1)
        #expect(events.first?.event == "check-error")
        #expect(events.first?.json.contains("status-change") == true)
    }
}
