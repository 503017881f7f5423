import ArgumentParser
import EventStore
import Logging
import PluginAPI
import PluginHost

/// Every setting of `beacon serve`. The raw value is both the flag name without `--` and the key
/// in the config file, so the two cannot differ.
enum SettingKey: String, CaseIterable, Sendable {
    case plugins
    case host
    case port
    case maxConcurrentChecks = "max-concurrent-checks"
    case history
    case retryMs = "retry-ms"
    case heartbeat
    case corsOrigin = "cors-origin"
    case shutdownTimeout = "shutdown-timeout"
    case logLevel = "log-level"
    case logFormat = "log-format"
    case pluginMemory = "plugin-memory"
    case maxEventBytes = "max-event-bytes"
    case loadTimeout = "load-timeout"
    case clientBuffer = "client-buffer"
    case stallTimeout = "stall-timeout"
    case maxConnections = "max-connections"
    case maxConnectionsPerIP = "max-connections-per-ip"
    case maxConnectionsPerHost = "max-connections-per-host"
    case headerTimeout = "header-timeout"
    case tokenFile = "token-file"
    case store
    case storePasswordFile = "store-password-file"
    case nodeName = "node-name"
    case retention

    /// The shape a value must have.
    enum Kind: Sendable {
        case string, integer, number, strings
        /// One of a fixed list of words.
        case word([String])

        /// For error messages: "expected an integer".
        var expected: String {
            switch self {
            case .string: "a string"
            case .integer: "an integer"
            case .number: "a number"
            case .strings: "an array of strings"
            case .word(let words): "one of " + words.map { "\"\($0)\"" }.joined(separator: ", ")
            }
        }
    }

    var kind: Kind {
        switch self {
        case .plugins, .host, .tokenFile, .store, .storePasswordFile, .nodeName, .retention: .string
        case .port, .maxConcurrentChecks, .history, .retryMs, .pluginMemory, .maxEventBytes, .clientBuffer,
             .maxConnections, .maxConnectionsPerIP, .maxConnectionsPerHost: .integer
        case .heartbeat, .shutdownTimeout, .loadTimeout, .stallTimeout, .headerTimeout: .number
        case .corsOrigin: .strings
        case .logLevel: .word(Logger.Level.allCases.map(\.rawValue))
        case .logFormat: .word(LogFormat.allCases.map(\.rawValue))
        }
    }

    /// The value when neither the command line nor the config file sets one.
    var defaultValue: SettingValue {
        switch self {
        case .plugins: .string("plugins")
        case .host: .string("127.0.0.1")
        case .port: .integer(8080)
        case .maxConcurrentChecks: .integer(PluginHostConfiguration.defaultConcurrentChecks)
        case .history: .integer(100)
        case .retryMs: .integer(3000)
        case .heartbeat: .number(15)
        case .corsOrigin: .strings([])
        case .shutdownTimeout: .number(10)
        case .logLevel: .string("info")
        case .logFormat: .string(LogFormat.text.rawValue)
        case .pluginMemory: .integer(64)
        case .maxEventBytes: .integer(64 << 10)
        case .loadTimeout: .number(10)
        case .clientBuffer: .integer(256)
        case .stallTimeout: .number(30)
        case .maxConnections: .integer(10_000)
        case .maxConnectionsPerIP: .integer(0)
        case .maxConnectionsPerHost: .integer(PluginAPIConfiguration.defaultMaxConnectionsPerHost)
        case .headerTimeout: .number(10)
        case .tokenFile: .string("")
        case .store: .string("memory")
        case .storePasswordFile: .string("")
        case .nodeName: .string("")
        case .retention: .string("7d")
        }
    }

    /// Whether SIGHUP applies a new value from the config file to the running server. Everything
    /// else is read once at start: the listening socket, the plugin host and the event hub are
    /// built from it, and rebuilding them would drop subscribers or restart plugins.
    var appliesOnReload: Bool { self == .logLevel }

    /// Why `value` is out of range ("must be at least 1"), or nil when it is fine. The kind has
    /// been checked already.
    func problem(with value: SettingValue) -> String? {
        switch (self, value) {
        case (.port, .integer(let port)):
            (0...65535).contains(port) ? nil : "must be between 0 and 65535"
        case (.maxConcurrentChecks, .integer(let n)), (.history, .integer(let n)), (.pluginMemory, .integer(let n)),
             (.clientBuffer, .integer(let n)), (.maxConnectionsPerHost, .integer(let n)):
            n >= 1 ? nil : "must be at least 1"
        case (.maxEventBytes, .integer(let n)):
            n >= 64 ? nil : "must be at least 64"
        case (.retryMs, .integer(let n)), (.maxConnectionsPerIP, .integer(let n)), (.maxConnections, .integer(let n)):
            n >= 0 ? nil : "must not be negative"
        case (.shutdownTimeout, .number(let seconds)), (.stallTimeout, .number(let seconds)),
             (.headerTimeout, .number(let seconds)):
            seconds >= 0 && seconds.isFinite ? nil : "must not be negative"
        case (.heartbeat, .number(let seconds)), (.loadTimeout, .number(let seconds)):
            seconds > 0 && seconds.isFinite ? nil : "must be more than 0 seconds"
        case (.plugins, .string(let text)), (.host, .string(let text)):
            text.isEmpty ? "must not be empty" : nil
        case (.store, .string(let text)):
            StoreLocation.parse(text).failure.map(\.description)
        case (.retention, .string(let text)):
            RetentionDuration.seconds(text) == nil ? "\"\(text)\" is not \(RetentionDuration.acceptedForms)" : nil
        case (_, .string(let word)):
            if case .word(let words) = kind, !words.contains(word) { "must be \(kind.expected)" } else { nil }
        default:
            nil
        }
    }

    /// The flag as typed on the command line.
    var flag: String { "--" + rawValue }
}

extension SettingKey {
    /// Throws a `ValidationError` naming the flag of the first out-of-range value.
    static func validate(_ values: SettingValues) throws {
        for key in allCases {
            if let value = values[key], let problem = key.problem(with: value) {
                throw ValidationError("\(key.flag) \(problem)")
            }
        }
    }
}

extension Result {
    /// The error, or nil on success.
    var failure: Failure? {
        if case .failure(let error) = self { return error }
        return nil
    }
}
