import EventHub
import BeaconHTTP
import PluginHost

/// Answers `/plugins` from the plugin host.
struct HostStatus: StatusSource {
    let host: PluginHost
    let metrics: MetricsPage
    let hub: EventHub
    /// How many recent events `GET /plugins/NAME` shows.
    static let historyShown = 20

    func pluginsJSON() -> [UInt8] { host.pluginsJSON() }

    /// The plugin's entry from `/plugins`, plus `history`: its most recent events, oldest first.
    func pluginJSON(named name: String) -> [UInt8]? {
        guard var entry = host.pluginJSON(named: name), entry.last == UInt8(ascii: "}") else { return nil }
        let events = hub.recentEvents(of: name, limit: Self.historyShown).map { event in
            // Every data payload is one line of JSON made by the plugin host.
            "{\"id\":\(event.id),\"event\":\(JSONText.quoted(event.event)),\"data\":\(event.data)}"
        }
        entry.removeLast()
        entry += Array(",\"history\":[\(events.joined(separator: ","))]}".utf8)
        return entry
    }

    func metricsText() -> [UInt8]? { metrics.render() }
}
