import PluginHost

/// Drops everything: for loading plugins only to see whether they load (`--check-config`).
struct DiscardingSink: PluginEventSink {
    func pluginAdded(_ name: String) {}
    func publish(plugin name: String, event: String, json: [UInt8]) {}
    func pluginRemoved(_ name: String, reason: PluginRemoval) {}
}
