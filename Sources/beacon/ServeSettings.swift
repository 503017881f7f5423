import BeaconHTTP
import EventHub
import EventStore
import Logging
import PluginAPI
import PluginHost

/// The settings `beacon serve` runs with: each one from the command line if given there, else
/// from the config file, else its default.
struct ServeSettings: Equatable, Sendable {
    private var values: [SettingKey: SettingValue]

    init(commandLine: SettingValues, configFile: SettingValues = [:]) {
        var values: [SettingKey: SettingValue] = [:]
        for key in SettingKey.allCases {
            values[key] = commandLine[key] ?? configFile[key] ?? key.defaultValue
        }
        self.values = values
    }

    subscript(key: SettingKey) -> SettingValue { values[key] ?? key.defaultValue }

    /// The same settings with one changed.
    func replacing(_ key: SettingKey, with value: SettingValue) -> ServeSettings {
        var copy = self
        copy.values[key] = value
        return copy
    }

    /// The settings whose value differs between the two.
    func keysDiffering(from other: ServeSettings) -> [SettingKey] {
        SettingKey.allCases.filter { self[$0] != other[$0] }
    }

    var plugins: String { string(.plugins) }
    var host: String { string(.host) }
    var port: Int { integer(.port) }
    var corsOrigins: [String] {
        if case .strings(let origins) = self[.corsOrigin] { return origins }
        return []
    }
    var shutdownTimeout: Double { number(.shutdownTimeout) }
    var logLevel: Logger.Level { Logger.Level(rawValue: string(.logLevel)) ?? .info }
    var logFormat: LogFormat { LogFormat(rawValue: string(.logFormat)) ?? .text }

    var hostConfiguration: PluginHostConfiguration {
        var configuration = hostConfiguration(directory: plugins)
        configuration.maxConcurrentChecks = integer(.maxConcurrentChecks)
        return configuration
    }

    /// The plugin limits applied to the plugins of `directory` (also what `beacon check` uses).
    func hostConfiguration(directory: String) -> PluginHostConfiguration {
        PluginHostConfiguration(
            directory: directory,
            pluginMemoryBytes: integer(.pluginMemory) << 20,
            maxEventBytes: integer(.maxEventBytes),
            loadTimeout: number(.loadTimeout),
            hostFunctions: PluginAPI.hostFunctions(configuration: apiConfiguration))
    }

    /// The host functions' settings.
    var apiConfiguration: PluginAPIConfiguration {
        PluginAPIConfiguration(maxConnectionsPerHost: integer(.maxConnectionsPerHost))
    }

    var hubConfiguration: EventHubConfiguration {
        EventHubConfiguration(
            historyLimit: integer(.history), retryMilliseconds: integer(.retryMs), heartbeatSeconds: number(.heartbeat),
            stallTimeout: number(.stallTimeout))
    }

    /// Where events are kept (checked when the value came in).
    var store: StoreLocation { (try? StoreLocation.parse(string(.store)).get()) ?? .memory }
    /// The file holding the PostgreSQL password, or nil.
    var storePasswordFile: String? { string(.storePasswordFile).isEmpty ? nil : string(.storePasswordFile) }
    /// This node's name in a cluster; empty for the default (host name and port).
    var nodeName: String { string(.nodeName) }
    /// How long the store keeps events, in seconds.
    var retentionSeconds: Double { RetentionDuration.seconds(string(.retention)) ?? 7 * 86_400 }

    /// The token file, or nil when bearer tokens are off.
    var tokenFile: String? { string(.tokenFile).isEmpty ? nil : string(.tokenFile) }

    /// The server's settings; `tokens` come from reading `tokenFile`.
    func serverConfiguration(tokens: [String]) -> BeaconServerConfiguration {
        BeaconServerConfiguration(
            host: host, port: port, corsOrigins: corsOrigins,
            clientBufferBytes: integer(.clientBuffer) << 10,
            maxConnections: integer(.maxConnections),
            maxConnectionsPerIP: integer(.maxConnectionsPerIP),
            headerTimeout: number(.headerTimeout),
            tokens: tokens)
    }

    // Every value was checked against its key's kind on the way in (the command line by its
    // option types, the config file by `ConfigFile`), so these only fall back defensively.

    private func string(_ key: SettingKey) -> String {
        if case .string(let text) = self[key] { return text }
        if case .string(let text) = key.defaultValue { return text }
        return ""
    }

    private func integer(_ key: SettingKey) -> Int {
        if case .integer(let number) = self[key] { return number }
        if case .integer(let number) = key.defaultValue { return number }
        return 0
    }

    private func number(_ key: SettingKey) -> Double {
        switch self[key] {
        case .number(let number): return number
        case .integer(let number): return Double(number)
        default: if case .number(let number) = key.defaultValue { return number }
        }
        return 0
    }
}
