import Foundation
import Logging
import PluginHost
import Testing

/// The optional globals: memory_limit and jitter.
@Suite struct PluginDeclarationTests {
    private func start(_ files: [String: String], maxMemory: Int = 8 << 20) throws -> (PluginHost, RecordingSink, ReloadSummary, TempFolder) {
        let folder = try TempFolder()
        for (name, source) in files { try folder.write(name, source) }
        let sink = RecordingSink()
        let host = PluginHost(
            configuration: PluginHostConfiguration(directory: folder.path, pluginMemoryBytes: maxMemory, startSpread: 0),
            sink: sink, logger: Logger(label: "test"))
        let summary = try host.start()
        return (host, sink, summary, folder)
    }

    @Test func aPluginsOwnMemoryLimitApplies() throws {
        // 2 MB of strings fit the server's 8 MiB maximum but not the plugin's own 1MB.
        let (host, sink, summary, folder) = try start([
            "small.lua": """
                schedule = "1h"
                memory_limit = "1MB"
                function check_status() local t = {} for i = 1, 2048 do t[i] = ("x"):rep(1000) .. i end return #t end
                """,
            "roomy.lua": """
                schedule = "1h"
                function check_status() local t = {} for i = 1, 2048 do t[i] = ("x"):rep(1000) .. i end return #t end
                """,
        ])
        defer { host.stop(); folder.delete() }
        #expect(summary.added.sorted() == ["roomy", "small"])
        let small = sink.wait(for: "small", count: 1)
        #expect(small.first?.event == "check-error" && small.first?.json.contains(#""kind":"memory""#) == true, "\(small)")
        #expect(sink.wait(for: "roomy", count: 1).first?.json == "2048")
    }

    @Test(arguments: [
        (#"memory_limit = "16MB""#, "over this server's maximum"),
        (#"memory_limit = "lots""#, "is not a size"),
        (#"memory_limit = -1"#, "is not a size"),
        (#"jitter = "2s""#, "jitter must be shorter than the schedule"),
        (#"jitter = "x""#, "jitter = \"x\" is not a duration"),
        (#"timeout = 0"#, "timeout = 0 is too short"),
    ])
    func invalidDeclarationsStopTheLoad(line: String, words: String) throws {
        let (host, _, summary, folder) = try start([
            "p.lua": "schedule = \"1s\"\n\(line)\nfunction check_status() return 1 end\n",
        ])
        defer { host.stop(); folder.delete() }
        #expect(summary.added.isEmpty)
        let message = summary.failed.first?.description ?? ""
        #expect(message.hasPrefix("p.lua: ") && message.contains(words), "\(message)")
    }

    @Test func jitterDelaysRunsWithoutStoppingThem() throws {
        let (host, sink, _, folder) = try start([
            "j.lua": #"schedule = "50ms" jitter = "40ms" function check_status() return beacon.now() end"#,
        ])
        defer { host.stop(); folder.delete() }
        #expect(sink.wait(for: "j", count: 5).count >= 5)
        let status = String(decoding: host.pluginJSON(named: "j") ?? [], as: UTF8.self)
        #expect(status.contains(#""jitter":0.04"#), "\(status)")
    }
}
