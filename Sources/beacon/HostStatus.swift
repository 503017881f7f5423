import BeaconHTTP
import EventHub
import PluginHost

/// Answers the status endpoints from the plugin host.
struct HostStatus: StatusSource {
    let host: PluginHost
    let metrics: MetricsPage
    let hub: EventHub
    /// This node's cluster, when it is one.
    let cluster: ClusterRun?
    /// How many recent events `GET /plugins/NAME` shows.
    static let historyShown = 20

    func pluginsJSON() -> [UInt8] {
        guard let cluster else { return host.pluginsJSON() }
        return StatusJSON.encode(JSONValue.array(cluster.pluginEntries(local: host.pluginStatuses()).map(\.entry)))
    }

    func clusterJSON() -> [UInt8]? { cluster?.clusterJSON() }

    func degradedJSON() -> [UInt8]? { cluster?.degradedJSON() }

    /// The plugin's entry from `/plugins`, plus `history`: its most recent events, oldest first.
    func pluginJSON(named name: String) -> [UInt8]? {
        let history = hub.recentEvents(of: name, limit: Self.historyShown).map { event in
            PluginDetail.Event(id: event.id, event: event.event, data: JSONValue(json: Array(event.data.utf8)) ?? .null, status: event.status)
        }
        guard let cluster else {
            guard let status = host.pluginStatus(named: name) else { return nil }
            return StatusJSON.encode(PluginDetail(status: status, history: history))
        }
        // The leader's entry, as in `/plugins`, with this node's history of the stream.
        guard let entry = cluster.pluginEntries(local: host.pluginStatuses()).first(where: { $0.name == name }),
            case .object(var fields) = entry.entry
        else { return nil }
        fields["history"] = JSONValue(json: StatusJSON.encode(history)) ?? .array([])
        return StatusJSON.encode(JSONValue.object(fields))
    }

    func statusJSON() -> [UInt8]? { StatusJSON.encode(StatusOverview(levels: levels())) }

    func badgeLevel(named name: String) -> BadgeLevel? {
        levels()[name].map { BadgeLevel(level: $0.storedStatus) }
    }

    func metricsText() -> [UInt8]? {
        metrics.render(levels: levels(), clusterRuns: cluster?.runTotals(local: host.pluginStatuses()))
    }

    /// Every plugin's level: on a cluster node, each plugin's leader's.
    private func levels() -> [String: PluginLevel] {
        let local = host.levels()
        return cluster?.levels(local: local) ?? local
    }
}

/// `GET /plugins/NAME`: the plugin's entry in `/plugins` and its recent events.
struct PluginDetail: Encodable {
    struct Event: Encodable {
        var id: UInt64
        var event: String
        var data: JSONValue
        /// The plugin's level once the event was published.
        var status: String?

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(id, forKey: .id)
            try container.encode(event, forKey: .event)
            try container.encode(data, forKey: .data)
            try container.encode(status, forKey: .status)
        }

        private enum Key: String, CodingKey { case id, event, data, status }
    }

    var status: PluginStatus
    /// Oldest first.
    var history: [Event]

    func encode(to encoder: any Encoder) throws {
        try status.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(history, forKey: .history)
    }

    private enum Key: String, CodingKey { case history }
}
