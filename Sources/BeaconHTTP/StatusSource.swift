/// Supplies the JSON bodies of the status endpoints. Called on event loops: must not block.
public protocol StatusSource: Sendable {
    /// Body of `GET /plugins`.
    func pluginsJSON() -> [UInt8]
    /// Body of `GET /plugins/NAME`, or nil for a 404.
    func pluginJSON(named: String) -> [UInt8]?
    /// Body of `GET /metrics` in the Prometheus text format, or nil when metrics are off (404).
    func metricsText() -> [UInt8]?
    /// Body of `GET /status`, or nil when the source has no levels (404).
    func statusJSON() -> [UInt8]?
    /// The level of plugin `name` for `GET /badge/NAME.svg`, or nil when there is no such plugin.
    func badgeLevel(named name: String) -> BadgeLevel?
    /// Body of `GET /cluster`, or nil when this server is not a cluster node (404).
    func clusterJSON() -> [UInt8]?
    /// Nil while healthy; else the body of the `503` that `GET /healthz` answers
    /// (`{"status":"degraded",...}`), so a balancer sends new clients elsewhere.
    func degradedJSON() -> [UInt8]?
}

extension StatusSource {
    /// No metrics unless a source provides them.
    public func metricsText() -> [UInt8]? { nil }
    /// No levels unless a source provides them.
    public func statusJSON() -> [UInt8]? { nil }
    /// No badges unless a source provides them.
    public func badgeLevel(named name: String) -> BadgeLevel? { nil }

    /// Not a cluster node unless a source says so.
    public func clusterJSON() -> [UInt8]? { nil }
    /// Always healthy unless a source says otherwise.
    public func degradedJSON() -> [UInt8]? { nil }
}

/// A plugin's level as its badge shows it.
public struct BadgeLevel: Sendable, Equatable {
    /// `ok`, `warning`, `critical`, `unknown`, or nil when the plugin has no level.
    public var level: String?

    public init(level: String?) {
        self.level = level
    }
}
