/// Supplies the JSON bodies of the status endpoints. Called on event loops: must not block.
public protocol StatusSource: Sendable {
    /// Body of `GET /plugins`.
    func pluginsJSON() -> [UInt8]
    /// Body of `GET /plugins/NAME`, or nil for a 404.
    func pluginJSON(named: String) -> [UInt8]?
    /// Body of `GET /metrics` in the Prometheus text format, or nil when metrics are off (404).
    func metricsText() -> [UInt8]?
}

extension StatusSource {
    /// No metrics unless a source provides them.
    public func metricsText() -> [UInt8]? { nil }
}
