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
        #expect(metrics.counterTotal(label: "beacon_check_runs_total", dimensions: plugin) >= 6)
        #expect(metrics.counterTotal(label: "beacon_check_failures_total", dimensions: plugin + [("kind", "error")]) >= 3)
        let durations = try metrics.expectTimer("beacon_check_duration_seconds", plugin)
        #expect(durations.values.count >= 6 && durations.values.allSatisfy { $0 > 0 })
        let memory = try metrics.expectGauge("beacon_plugin_lua_memory_bytes", plugin)
        #expect((memory.lastValue ?? 0) > 6000, "the Lua state holds at least the strings it kept")
        #expect(metrics.counterTotal(label: "beacon_reloads_total") >= 1)
    }
}
