import EventHub
import Metrics
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

    /// Makes the Prometheus registry the process's swift-metrics backend. Call once, at start.
    init(hub: EventHub) {
        registry = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: registry))
        self.hub = hub
        subscribers = registry.makeGauge(descriptor: Self.name("subscribers", "", "Connected event-stream subscribers."))
        stalled = registry.makeCounter(descriptor: Self.name(
            "stalled_disconnects", "total", "Subscribers cut for not reading past --stall-timeout."))
        conflated = registry.makeCounter(descriptor: Self.name(
            "conflated_events", "total", "Events replaced by a newer one for a slow subscriber."))
    }

    func render() -> [UInt8] {
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
        return registry.emitToBuffer()
    }

    private static var eventsSent: MetricNameDescriptor { name("events_sent", "total", "Events written to subscribers, per plugin.") }
    private static var bytesSent: MetricNameDescriptor { name("bytes_sent", "total", "Bytes of events written to subscribers, per plugin.") }
    private static var pluginSubscribers: MetricNameDescriptor { name(
        "plugin_subscribers", "", "Subscribers receiving a plugin's events (its own streams and /events).") }

    /// `beacon_NAME_UNIT`.
    private static func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(namespace: "beacon", metricName: metric, unitName: unit, helpText: help)
    }
}
