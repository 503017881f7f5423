import Foundation
import Logging
import Metrics
import MetricsTestKit
import PluginHost
import Testing

/// The metrics a plugin's runs report through swift-metrics.
@Suite struct PluginMetricsTests {
    /// swift-metrics takes one backend per process; the tests that read metrics share this one.
    static let metrics: TestMetrics = {
        let metrics = TestMetrics()
        MetricsSystem.bootstrap(metrics)
        return metrics
    }()

    @Test func runsFailuresDurationsAndMemoryAreCounted() throws {
        let metrics = Self.metrics
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("metered.lua", """
            schedule = "20ms"
            n = 0
            big = {}
            function check_status()
              n = n + 1
              big[#big + 1] = ("m"):rep(1000)
              if n % 2 == 0 then error("even") end
              return n
            end
            """)
        let sink = RecordingSink()
        let host = PluginHost(
            configuration: PluginHostConfiguration(directory: folder.path, startSpread: 0),
            sink: sink, logger: Logger(label: "test"))
        try host.start()
        defer { host.stop() }
        #expect(sink.wait(for: "metered", count: 6).count >= 6)

        let plugin = [("plugin", "metered")]
        // Runs are handed to the backend together, about once a second (see UnreportedRuns).
        #expect(Self.waitForRuns(plugin: "metered", atLeast: 6, seconds: 5) >= 6)
        #expect(metrics.counterTotal(label: "beacon_check_failures_total", dimensions: plugin + [("kind", "error")]) >= 3)
        let durations = try metrics.expectTimer("beacon_check_duration_seconds", plugin)
        #expect(durations.values.count >= 6 && durations.values.allSatisfy { $0 > 0 })
        let memory = try metrics.expectGauge("beacon_plugin_lua_memory_bytes", plugin)
        #expect((memory.lastValue ?? 0) > 6000, "the Lua state holds at least the strings it kept")
        #expect(metrics.counterTotal(label: "beacon_reloads_total") >= 1)
    }

    /// A plugin that runs once an hour is not left a run behind: the watchdog reports its run
    /// about a second later. And `stop()` reports what was still waiting, so after it the count
    /// is exact.
    @Test func runsAreReportedWithinAboutASecondAndAllOfThemAtStop() throws {
        _ = Self.metrics // bootstrapped before the host makes its metrics
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("hourly.lua", #"schedule = "1h" function check_status() return "ok" end"#)
        try folder.write("often.lua", #"schedule = "10ms" function check_status() return "ok" end"#)
        let sink = RecordingSink()
        let host = PluginHost(
            configuration: PluginHostConfiguration(directory: folder.path, startSpread: 0),
            sink: sink, logger: Logger(label: "test"))
        let started = Date()
        try host.start()
        #expect(sink.wait(for: "hourly", count: 1).count == 1)
        if Date().timeIntervalSince(started) < 0.9 {
            #expect(Self.runs("hourly") == 0, "reported at once: runs are no longer gathered")
        }
        #expect(Self.waitForRuns(plugin: "hourly", atLeast: 1, seconds: 3) == 1)

        _ = sink.wait(for: "often", count: 30)
        host.stop()
        // Results only: a run that fails on a busy machine (its timeout is short) also brings
        // status-change events, which are not runs.
        let published = sink.published("often").filter { $0.event != "status-change" }.count
        #expect(published >= 30)
        #expect(Self.runs("often") == published, "every run is counted once the host has stopped")
    }

    static func runs(_ plugin: String) -> Int {
        Int(metrics.counterTotal(label: "beacon_check_runs_total", dimensions: [("plugin", plugin)]))
    }

    /// Polls the run counter of `plugin` until it reaches `atLeast` or `seconds` pass.
    static func waitForRuns(plugin: String, atLeast count: Int, seconds: Double) -> Int {
        let deadline = Date().addingTimeInterval(seconds)
        while runs(plugin) < count, Date() < deadline { usleep(10_000) }
        return runs(plugin)
    }
}
