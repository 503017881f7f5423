import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// Levels through the real binary: `status-change` across restarts on a SQLite store, `/status`,
/// `/plugins`, history, the badge and `/metrics`.
@Suite struct StatusLevelTests {
    /// A plugin whose level is the first line of `file`, read at each run.
    private func levelFromFile(_ file: String) -> String {
        """
        schedule = "100ms"
        function check_status()
          local f = assert(io.open("\(file)"))
          local level = f:read("l")
          f:close()
          beacon.status(level, "read " .. level)
          return { level = level }
        end
        """
    }

    private func json(_ port: Int, _ path: String) throws -> Any {
        let response = try httpGet(port: port, path)
        guard response.status == 200 else { throw TestFailure("\(path): \(response.status) \(response.body)") }
        return try JSONSerialization.jsonObject(with: Data(response.body.utf8))
    }

    private func level(_ port: Int, _ name: String) throws -> (status: String?, since: Double?) {
        let entry = try json(port, "/plugins/\(name)") as? [String: Any] ?? [:]
        return (entry["status"] as? String, entry["status_since"] as? Double)
    }

    /// Events of `/events/web` resumed after `id` until `results` results have come.
    private func events(_ port: Int, after id: UInt64, results: Int) throws -> [SSEEvent] {
        let (stream, _) = try TestConnection.stream(port: port, "/events/web", lastEventID: String(id))
        var seen: [SSEEvent] = []
        while seen.filter({ $0.event == "web" }).count < results, let event = stream.nextEvent(seconds: 10) { seen.append(event) }
        return seen
    }

    @Test(.timeLimit(.minutes(2))) func aRestartAnnouncesAChangeOnlyWhenTheRememberedLevelDiffers() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let store = try StoreFolder()
        defer { store.delete() }
        let levelFile = store.path("level")
        try "critical\n".write(toFile: levelFile, atomically: true, encoding: .utf8)
        try plugins.write("web.lua", levelFromFile(levelFile))
        let arguments = ["--store", "sqlite:\(store.path())"]

        // First start: nothing remembered, so no change for the first results.
        let first = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        let firstEvents = try events(first.port, after: 0, results: 3)
        #expect(!firstEvents.contains { $0.event == "status-change" }, "\(firstEvents)")
        let (status, since) = try level(first.port, "web")
        #expect(status == "critical")
        let criticalSince = try #require(since)
        let lastId = try #require(firstEvents.last).numericId
        #expect(first.stop() == 0, "\(first.log)")

        // Same level after a restart: still no change, and the level holds since the first start.
        let second = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        #expect(try level(second.port, "web") == ("critical", criticalSince))
        let secondEvents = try events(second.port, after: lastId, results: 3)
        #expect(!secondEvents.contains { $0.event == "status-change" }, "\(secondEvents)")
        #expect(try level(second.port, "web") == ("critical", criticalSince))
        let secondLast = try #require(secondEvents.last).numericId
        #expect(second.stop() == 0, "\(second.log)")

        // Another level after a restart: one change, from critical since the first start.
        try "warning\n".write(toFile: levelFile, atomically: true, encoding: .utf8)
        let third = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        defer { third.stop() }
        let thirdEvents = try events(third.port, after: secondLast, results: 3)
        let changes = thirdEvents.filter { $0.event == "status-change" }
        #expect(changes.count == 1, "\(thirdEvents)")
        let change = try #require(changes.first?.object)
        #expect(change["plugin"] as? String == "web")
        #expect(change["from"] as? String == "critical" && change["to"] as? String == "warning")
        #expect(change["since"] as? Double == criticalSince)
        #expect(change["summary"] as? String == "read warning")
        #expect((change["result"] as? [String: Any])?["level"] as? String == "warning")
        // It follows the result that changed the level.
        let changeIndex = try #require(thirdEvents.firstIndex { $0.event == "status-change" })
        #expect(changeIndex > 0 && thirdEvents[changeIndex - 1].event == "web")
        let (warning, warningSince) = try level(third.port, "web")
        #expect(warning == "warning" && (warningSince ?? 0) > criticalSince)

        // Kept in history, with each event's level; resumable like any event.
        let history = try json(third.port, "/plugins/web/history?limit=10000") as? [[String: Any]] ?? []
        let stored = history.filter { $0["event"] as? String == "status-change" }
        #expect(stored.count == 1 && stored.first?["status"] as? String == "warning", "\(stored)")
        #expect(Set(history.compactMap { $0["status"] as? String }) == ["critical", "warning"])
        let beforeChange = thirdEvents[changeIndex - 1].numericId
        let resumed = try events(third.port, after: beforeChange, results: 1)
        #expect(resumed.first?.event == "status-change", "\(resumed)")
        #expect(resumed.first?.numericId == beforeChange + 1)
    }

    @Test(.timeLimit(.minutes(1))) func aSIGHUPThatChangesTheScriptKeepsTheLevelAndItsSince() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let folder = try StoreFolder()
        defer { folder.delete() }
        let levelFile = folder.path("level")
        try "critical\n".write(toFile: levelFile, atomically: true, encoding: .utf8)
        try plugins.write("web.lua", levelFromFile(levelFile))
        let server = try BeaconProcess(plugins: plugins.url)
        defer { server.stop() }
        let stream = try TestConnection(port: server.port)
        try stream.get("/events/web")
        _ = try stream.readHead()
        #expect(stream.nextEvent(seconds: 10)?.event == "web")
        let since = try #require(try level(server.port, "web").since)

        // A new version at the same level: no change, the same since.
        try plugins.write("web.lua", levelFromFile(levelFile) + "-- version 2\n")
        server.send(signal: SIGHUP)
        #expect(server.waitForLog("changed: web"), "\(server.log)")
        var seen: [SSEEvent] = []
        while seen.filter({ $0.event == "web" }).count < 3, let event = stream.nextEvent(seconds: 10) { seen.append(event) }
        #expect(!seen.contains { $0.event == "status-change" }, "\(seen)")
        #expect(try level(server.port, "web") == ("critical", since))

        // The level changes afterwards: the change says since when critical held.
        try "ok\n".write(toFile: levelFile, atomically: true, encoding: .utf8)
        let change = try #require(stream.nextEvent(seconds: 10) { $0.event == "status-change" }?.object)
        #expect(change["from"] as? String == "critical" && change["to"] as? String == "ok")
        #expect(change["since"] as? Double == since)
    }

    @Test(.timeLimit(.minutes(1))) func statusBadgeAndMetricsShowTheLevels() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        try plugins.write("disk.lua", #"schedule = "1h" function check_status() beacon.status("critical", "93% used") return 1 end"#)
        try plugins.write("web-1.lua", #"schedule = "1h" function check_status() beacon.status("ok") return 1 end"#)
        try plugins.write("plain.lua", #"schedule = "1h" function check_status() return 1 end"#)
        try plugins.write("broken.lua", #"schedule = "1h" function check_status() error("no disk") end"#)
        let server = try BeaconProcess(plugins: plugins.url)
        defer { server.stop() }
        let ready = waitFor(seconds: 10) { () -> [String: Any]? in
            guard let overview = try? json(server.port, "/status") as? [String: Any],
                let counts = overview["counts"] as? [String: Int], counts["none"] == 1 else { return nil }
            return overview
        }
        let overview = try #require(ready, "every plugin ran once")
        #expect(overview["status"] as? String == "critical")
        #expect(overview["counts"] as? [String: Int] == ["ok": 1, "warning": 0, "critical": 1, "unknown": 1, "none": 1])
        let entries = overview["plugins"] as? [[String: Any]] ?? []
        #expect(entries.map { $0["name"] as? String ?? "" } == ["broken", "disk", "plain", "web-1"])
        #expect(entries.map { $0["status"] as? String ?? "null" } == ["unknown", "critical", "null", "ok"])
        #expect(entries.allSatisfy { $0["since"] is Double })

        let plugin = try json(server.port, "/plugins/broken") as? [String: Any] ?? [:]
        #expect(plugin["status"] as? String == "unknown")
        #expect((plugin["summary"] as? String)?.contains("no disk") == true, "\(plugin)")

        // The badge: valid SVG naming the plugin and its level, not cached.
        let badge = try httpGet(port: server.port, "/badge/web-1.svg")
        #expect(badge.status == 200)
        #expect(badge.headers["content-type"] == "image/svg+xml; charset=utf-8")
        #expect(badge.headers["cache-control"] == "no-cache")
        let root = try #require(try XMLDocument(xmlString: badge.body).rootElement())
        #expect(root.name == "svg")
        #expect(root.elements(forName: "title").first?.stringValue == "web-1: ok")
        let missing = try httpGet(port: server.port, "/badge/nope.svg")
        #expect(missing.status == 404 && missing.body.contains(#""error":"unknown plugin""#))

        let metrics = try httpGet(port: server.port, "/metrics").body
        #expect(metrics.contains(#"beacon_plugin_status{plugin="disk"} 2"#), "\(metrics)")
        #expect(metrics.contains(#"beacon_plugin_status{plugin="web-1"} 0"#))
        #expect(metrics.contains(#"beacon_plugin_status{plugin="broken"} 3"#))
        #expect(!metrics.contains(#"beacon_plugin_status{plugin="plain"}"#))
    }
}
