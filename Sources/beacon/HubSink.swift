import EventHub
import PluginHost

/// Feeds plugin results into the event hub.
struct HubSink: PluginEventSink {
    let hub: EventHub

    func pluginAdded(_ name: String) { hub.addStream(name) }

    func publish(plugin name: String, event: String, json: [UInt8]) {
        hub.publish(stream: name, event: event, json: json)
    }

    func pluginRemoved(_ name: String, reason: String) { hub.removeStream(name, reason: reason) }
}
