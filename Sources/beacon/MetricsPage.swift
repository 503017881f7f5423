import EventHub
import EventStore
import Metrics
import PluginHost
import PostgresEventStore
import Prometheus
import Synchronization

/// `GET /metrics`: swift-metrics' Prometheus backend (what the plugin host records: runs,
/// failures by kind, skipped ticks, check durations, Lua memory, reloads), plus the event hub's
/// own counts, read when Prometheus scrapes.
final class MetricsPage: Sendable {
    private let registry: PrometheusCollectorRegistry
    private let hub: EventHub
    private let subscribers: Prometheus.Gauge
    private let stalled: Prometheus.Counter
    private let conflated: Prometheus.Counter
    /// The hub's totals at the previous scrape, so the counters grow by the difference.
    private let previous = Mutex((stalled: 0, conflated: 0, delivered: [String: StreamDelivery]()))
    /// The event store's writer, when there is a store (its write durations go to swift-metrics).
    private let store: StoreWriter?
    private let storeBefore = Mutex(StoreWriter.Counters())
    /// Plugins whose `beacon_plugin_status` the last scrape showed.
    private let levelGauges = Mutex(Set<String>())
    /// The cluster's counts at the previous scrape, so the counters grow by the difference.
    private let clusterBefore = Mutex([String: PluginRunCounts]())

    /// Makes the Prometheus registry the process's swift-metrics backend. Call once, at start.
    init(hub: EventHub, store: StoreWriter? = nil) {
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        self.hub = hub
        self.store = store
        subscribers = registry.makeGauge(descriptor: Self.name("subscribers", "", "Connected event-stream subscribers."))
        stalled = registry.makeCounter(descriptor: Self.name(
            "stalled_disconnects", "total", "Subscribers cut for not reading past --stall-timeout."))
        conflated = registry.makeCounter(descriptor: Self.name(
            "conflated_events", "total", "Events replaced by a newer one for a slow subscriber."))
    }

    /// The page; `levels` gives `beacon_plugin_status` (absent for plugins without a level).
    /// `clusterRuns`, on a cluster node: the cluster's counts of each plugin's runs.
    func render(levels: [String: PluginLevel] = [:], clusterRuns: [String: PluginRunCounts]? = nil) -> [UInt8] {
        subscribers.set(Int64(hub.subscriberCount))
        let (stalledNow, conflatedNow) = (hub.stalledDisconnects, hub.conflatedEvents)
        let deliveredNow = hub.deliveries
        let (stalledBefore, conflatedBefore, deliveredBefore) = previous.withLock { previous in
            defer { previous = (stalledNow, conflatedNow, deliveredNow) }
            return previous
        }
        stalled.increment(by: Int64(max(0, stalledNow - stalledBefore)))
        conflated.increment(by: Int64(max(0, conflatedNow - conflatedBefore)))
        for (plugin, now) in deliveredNow {
            let before = deliveredBefore[plugin] ?? StreamDelivery()
            let labels = [("plugin", plugin)]
            registry.makeCounter(descriptor: Self.eventsSent, labels: labels).increment(by: Int64(now.events - before.events))
            registry.makeCounter(descriptor: Self.bytesSent, labels: labels).increment(by: Int64(now.bytes - before.bytes))
        }
        for (plugin, count) in hub.subscribersPerStream {
            registry.makeGauge(descriptor: Self.pluginSubscribers, labels: [("plugin", plugin)]).set(Int64(count))
        }
        if let store { renderStore(store) }
        renderLevels(levels)
        if let clusterRuns { renderClusterRuns(clusterRuns) }
        return registry.emitToBuffer()
    }

    /// `beacon_plugin_status{plugin}`: 0 ok, 1 warning, 2 critical, 3 unknown; a plugin without a
    /// level (or gone) has none.
    private func renderLevels(_ levels: [String: PluginLevel]) {
        var shown = Set<String>()
        for (plugin, level) in levels {
            guard let code = level.statusCode else { continue }
            registry.makeGauge(descriptor: Self.pluginStatus, labels: [("plugin", plugin)]).set(Int64(code))
            shown.insert(plugin)
        }
        let hidden = levelGauges.withLock { gauges in
            defer { gauges = shown }
            return gauges.subtracting(shown)
        }
        for plugin in hidden {
            registry.unregisterGauge(registry.makeGauge(descriptor: Self.pluginStatus, labels: [("plugin", plugin)]))
        }
    }

    /// `beacon_cluster_check_runs_total`, `…_failures_total`, `…_skipped_ticks_total`: every
    /// node's runs of each plugin, the same on every node.
    private func renderClusterRuns(_ totals: [String: PluginRunCounts]) {
        let before = clusterBefore.withLock { before in
            defer { before = totals }
            return before
        }
        for (plugin, now) in totals {
            let was = before[plugin] ?? PluginRunCounts()
            let labels = [("plugin", plugin)]
            registry.makeCounter(descriptor: Self.clusterRuns, labels: labels).increment(by: max(0, now.runs - was.runs))
            registry.makeCounter(descriptor: Self.clusterFailures, labels: labels).increment(by: max(0, now.failures - was.failures))
            registry.makeCounter(descriptor: Self.clusterSkipped, labels: labels).increment(by: max(0, now.skippedTicks - was.skippedTicks))
        }
    }

    private func renderStore(_ writer: StoreWriter) {
        let now = writer.statistics
        let before = storeBefore.withLock { before in
            defer { before = now }
            return before
        }
        registry.makeGauge(descriptor: Self.name("store_queued_writes", "", "Events waiting to be written to the event store."))
            .set(Int64(now.queued))
        registry.makeGauge(descriptor: Self.name("store_size", "bytes", "Bytes the event store takes on disk."))
            .set(Int64(writer.store.sizeInBytes()))
        registry.makeCounter(descriptor: Self.name("store_write_errors", "total", "Failed event store writes (each is retried)."))
            .increment(by: Int64(max(0, now.writeErrors - before.writeErrors)))
        registry.makeCounter(descriptor: Self.name("store_retention_deleted_rows", "total", "Events deleted from the store by --retention."))
            .increment(by: Int64(max(0, now.deletedRows - before.deletedRows)))
        registry.makeCounter(descriptor: Self.name(
            "store_dropped_events", "total", "Events dropped unwritten after the store failed for too long."))
            .increment(by: Int64(max(0, now.droppedEvents - before.droppedEvents)))
    }

    private static var pluginStatus: MetricNameDescriptor { name(
        "plugin_status", "", "A plugin's level: 0 ok, 1 warning, 2 critical, 3 unknown (absent without one).") }
    private static var clusterRuns: MetricNameDescriptor { name(
        "cluster_check_runs", "total", "Runs of a plugin's check on every node of the cluster.") }
    private static var clusterFailures: MetricNameDescriptor { name(
        "cluster_check_failures", "total", "Failed runs of a plugin's check on every node of the cluster.") }
    private static var clusterSkipped: MetricNameDescriptor { name(
        "cluster_check_skipped_ticks", "total", "Skipped ticks of a plugin on every node of the cluster.") }
    private static var eventsSent: MetricNameDescriptor { name("events_sent", "total", "Events written to subscribers, per plugin.") }
    private static var bytesSent: MetricNameDescriptor { name("bytes_sent", "total", "Bytes of events written to subscribers, per plugin.") }
    private static var pluginSubscribers: MetricNameDescriptor { name(
        "plugin_subscribers", "", "Subscribers receiving a plugin's events (its own streams and /events).") }

    /// `beacon_NAME_UNIT`.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "beacon", metricName: metric, unitName: unit, helpText: help)
    }
}
