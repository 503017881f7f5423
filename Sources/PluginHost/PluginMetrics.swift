import Metrics

/// One plugin's metrics, made once when the plugin starts so that a run only updates them.
/// They go to whatever swift-metrics backend the program bootstrapped (none: no cost).
struct PluginMetrics: Sendable {
    let plugin: String
    let runs: Counter
    let skippedTicks: Counter
    let duration: Metrics.Timer
    let luaMemory: Gauge
    /// From when a run was due to when it started, for all plugins together.
    let startLag: Metrics.Timer

    init(plugin: String) {
        self.plugin = plugin
        let dimensions = [("plugin", plugin)]
        runs = Counter(label: "beacon_check_runs_total", dimensions: dimensions)
        skippedTicks = Counter(label: "beacon_check_skipped_ticks_total", dimensions: dimensions)
        duration = Metrics.Timer(label: "beacon_check_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds)
        luaMemory = Gauge(label: "beacon_plugin_lua_memory_bytes", dimensions: dimensions)
        startLag = Metrics.Timer(label: "beacon_check_start_lag_seconds", preferredDisplayUnit: .seconds)
    }

    /// Hands over the runs gathered in `runs` and empties it, with the Lua state's size after the
    /// last of them (nil leaves the gauge alone: a removed plugin's stays at 0).
    func report(_ runs: inout UnreportedRuns, luaMemory bytes: Int?) {
        guard !runs.isEmpty else { return }
        self.runs.increment(by: runs.durations.count)
        for nanoseconds in runs.durations { duration.recordNanoseconds(nanoseconds) }
        for nanoseconds in runs.startLags { startLag.recordNanoseconds(nanoseconds) }
        if let bytes { luaMemory.record(bytes) }
        runs.removeAll()
    }

    /// Counts a failed run (or load) by kind: `error`, `timeout`, `memory`, `bad-result`, …
    func failed(kind: CheckFailureKind) {
        Counter(label: "beacon_check_failures_total", dimensions: [("plugin", plugin), ("kind", kind.rawValue)])
            .increment()
    }

    /// The plugin is gone: its gauge should not report a stale value.
    func pluginRemoved() {
        luaMemory.record(0)
    }
}

/// Metrics of the plugin host as a whole. Made on use (reloads are rare), so they always go to
/// the backend bootstrapped by then.
enum HostMetrics {
    static func reloaded(failed: Bool, plugins: Int) {
        Counter(label: "beacon_reloads_total").increment()
        if failed { Counter(label: "beacon_reload_failures_total").increment() }
        Gauge(label: "beacon_plugins").record(plugins)
    }
}
