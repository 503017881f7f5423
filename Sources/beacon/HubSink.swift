import EventHub
import EventStore
import PluginHost

/// Feeds plugin results into the event hub, each with the plugin's level (kept by the store).
struct HubSink: PluginEventSink {
    let hub: EventHub

    func pluginAdded(_ name: String) { hub.addStream(name) }

    func publish(plugin name: String, event: String, json: [UInt8]) {
        hub.publish(stream: name, event: event, json: json)
    }

    func publish(plugin name: String, event: String, json: [UInt8], level: PluginLevel) {
        hub.publish(
            stream: name, event: event, json: json, status: level.storedStatus, statusSince: level.sinceMilliseconds)
    }

    func pluginRemoved(_ name: String, reason: PluginRemoval) {
        switch reason {
        case .deleted: hub.removeStream(name, reason: .removed)
        case .shutdown: hub.removeStream(name, reason: .shutdown)
        }
    }

    /// The level of each plugin as the store remembers it: that of its latest stored event.
    static func rememberedLevels(_ opening: StoreOpening?) -> [String: PluginLevel] {
        var levels: [String: PluginLevel] = [:]
        for event in opening?.latest ?? [] {
            guard let since = event.statusSince else { continue }
            levels[event.stream] = PluginLevel(storedStatus: event.status, sinceMilliseconds: since)
        }
        return levels
    }
}
