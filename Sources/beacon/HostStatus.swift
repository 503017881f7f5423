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
        return StatusJSON.encode(host.pluginStatuses().map { ClusterPluginEntry(status: $0, cluster: cluster.pluginInfo($0.name)) })
    }

    func clusterJSON() -> [UInt8]? { cluster?.clusterJSON() }

    func degradedJSON() -> [UInt8]? { cluster?.degradedJSON() }

    /// The plugin's entry from `/plugins`, plus `history`: its most recent events, oldest first.
    func pluginJSON(named name: String) -> [UInt8]? {
        guard let status = host.pluginStatus(named: name) else { return nil }
        let history = hub.recentEvents(of: name, limit: Self.historyShown).map { event in
            PluginDetail.Event(id: event.id, event: event.event, data: JSONValue(json: Array(event.data.utf8)) ?? .null, status: event.status)
        }
        return StatusJSON.encode(PluginDetail(status: status, history: history))
    }

    func statusJSON() -> [UInt8]? { StatusJSON.encode(host.overview()) }

    func badgeLevel(named name: String) -> BadgeLevel? {
        host.level(named: name).map { BadgeLevel(level: $0.storedStatus) }
    }

    func metricsText() -> [UInt8]? { metrics.render(levels: host.levels()) }
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

/// A plugin's entry in `/plugins` on a cluster node: its leader, this node's file hash, and
/// whether the leader's file differs.
struct ClusterPluginEntry: Encodable {
    var status: PluginStatus
    var cluster: ClusterPluginInfo

    func encode(to encoder: any Encoder) throws {
        try status.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(cluster.node, forKey: .node)
        try container.encode(cluster.hash, forKey: .hash)
        try container.encodeIfPresent(cluster.fileDiffers, forKey: .fileDiffers)
    }

    private enum Key: String, CodingKey {
        case node, hash
        case fileDiffers = "file_differs"
    }
}
