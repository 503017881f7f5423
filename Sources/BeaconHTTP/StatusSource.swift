/// Supplies the JSON bodies of the status endpoints. Called on event loops: must not block.
public protocol StatusSource: Sendable {
    /// Body of `GET /plugins`.
    func pluginsJSON() -> [UInt8]
    /// Body of `GET /plugins/NAME`, or nil for a 404.
    func pluginJSON(named: String) -> [UInt8]?
}
