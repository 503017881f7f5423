/// Where the plugin host sends what plugins produce. The host calls these from plugin queues
/// and its control queue, never from an event loop; implementations must be thread-safe and quick.
public protocol PluginEventSink: Sendable {
    /// A plugin started (at start-up or when a reload added it).
    func pluginAdded(_ name: String)
    /// A result or a `check-error` for plugin `name`; `json` is the encoded `data:` (one line).
    func publish(plugin name: String, event: String, json: [UInt8])
    /// The same, with the plugin's level once this event is published (what a store keeps).
    func publish(plugin name: String, event: String, json: [UInt8], level: PluginLevel)
    /// A plugin is gone: a reload found its file deleted, or the host is stopping.
    func pluginRemoved(_ name: String, reason: PluginRemoval)
}

extension PluginEventSink {
    /// A sink that keeps no levels publishes the event alone.
    public func publish(plugin name: String, event: String, json: [UInt8], level: PluginLevel) {
        publish(plugin: name, event: event, json: json)
    }
}
