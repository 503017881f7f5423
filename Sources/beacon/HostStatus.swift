import BeaconHTTP
import PluginHost

/// Answers `/plugins` from the plugin host.
struct HostStatus: StatusSource {
    let host: PluginHost
    let metrics: MetricsPage

    func pluginsJSON() -> [UInt8] { host.pluginsJSON() }

    func pluginJSON(named name: String) -> [UInt8]? { host.pluginJSON(named: name) }

    func metricsText() -> [UInt8]? { metrics.render() }
}
