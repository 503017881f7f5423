import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--log-format text|json` and the one summary line per reload.
@Suite struct LogFormatTests {
    /// Every non-empty line of `log`, parsed as a JSON object; records the lines that are not.
    private func jsonLines(_ log: String) -> (objects: [[String: Any]], bad: [String]) {
        var objects: [[String: Any]] = []
        var bad: [String] = []
        for line in log.split(separator: "\n") where !line.isEmpty {
            if let object = (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: Any] {
                objects.append(object)
            } else {
                bad.append(String(line))
            }
        }
        return (objects, bad)
    }

    @Test func jsonLinesParseAndCarryTheReloadSummary() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("steady.lua", #"schedule = "1h" function check_status() beacon.log("info", "said \"hi\"\n") return 1 end"#)
        try folder.write("doomed.lua", #"schedule = "1h" function check_status() return 1 end"#)
        let server = try BeaconProcess(plugins: folder.url, extraArguments: ["--log-format", "json"])
        defer { server.stop() }
        #expect(server.waitForLog("said"), "the plugin's own log line arrives")

        try folder.write("fresh.lua", #"schedule = "1h" function check_status() return 2 end"#)
        try folder.write("broken.lua", "schedule = \"1h\"\nfunction check_status(\n")
        try folder.remove("doomed.lua")
        server.send(signal: SIGHUP)
        #expect(server.waitForLog("reload done"), "log:\n\(server.log)")
        server.stop()

        let (objects, bad) = jsonLines(server.log)
        #expect(bad.isEmpty, "lines that are not JSON objects: \(bad)")
        for object in objects {
            #expect(object["time"] is String && object["level"] is String && object["label"] is String
                    && object["message"] is String && object["metadata"] is [String: Any], "\(object)")
        }
        let time = objects.first?["time"] as? String ?? ""
        #expect(time.range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil, "\(time)")
        #expect(objects.contains { ($0["message"] as? String)?.hasPrefix("listening on http://127.0.0.1:") == true })
        #expect(objects.contains { ($0["message"] as? String)?.contains("said \"hi\"\n") == true },
                "quotes and newlines survive the round trip")

        let reloads = objects.filter { ($0["message"] as? String)?.hasPrefix("reload done") == true }
        #expect(reloads.count == 1, "one summary line per reload")
        let metadata = reloads.first?["metadata"] as? [String: Any] ?? [:]
        #expect(metadata["added"] as? [String] == ["fresh"], "\(metadata)")
        #expect(metadata["removed"] as? [String] == ["doomed"], "\(metadata)")
        #expect(metadata["failed"] as? [String] == ["broken.lua"], "\(metadata)")
        #expect(metadata["changed"] as? [String] == [], "\(metadata)")
        #expect(metadata["unchanged"] as? Int == 1, "\(metadata)")
        #expect(reloads.first?["level"] as? String == "info")
    }

    @Test func textLogHasTheReloadSummaryLine() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("one.lua", #"schedule = "1h" function check_status() return 1 end"#)
        let server = try BeaconProcess(plugins: folder.url, extraArguments: ["--log-format", "text"])
        defer { server.stop() }
        try folder.write("two.lua", #"schedule = "1h" function check_status() return 2 end"#)
        server.send(signal: SIGHUP)
        #expect(server.waitForLog("reload done"), "log:\n\(server.log)")
        let line = server.log.split(separator: "\n").first { $0.contains("reload done") }.map(String.init) ?? ""
        #expect(line.contains("added: two; changed: none; removed: none; failed: none; unchanged: 1"), "\(line)")
        #expect(jsonLines(server.log).objects.isEmpty, "text lines are not JSON")
    }

    @Test func anUnknownLogFormatIsRejected() throws {
        let result = try BeaconCommand.run(["serve", "--log-format", "xml", "--port", "0", "--plugins", "/nonexistent/beacon-plugins"])
        #expect(result.status != 0)
        #expect(result.errors.contains("--log-format"), "\(result.errors)")
    }
}
