import EventHub
import PluginHost

/// Feeds plugin results into the event hub.
struct HubSink: PluginEventSink {
    let hub: EventHub

    func pluginAdded(_ name: String) { hub.addStream(name) }

    func publish(plugin name: String, event: String, json: [UInt8]) {
        hub.publish(stream: name, event: event, json: json)
    }

    func pluginRemoved(_ name: String, reason: PluginRemoval) {
        switch reason {
        case .deleted: hub.removeStream(name, reason: .removed)
        case .shutdown: hub.removeStream(name, reason: .shutdown)
        }
    }
}
