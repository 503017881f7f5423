import Foundation
public import LuaKit

/// Settings of the plugin host.
public struct PluginHostConfiguration: Sendable {
    /// The plugins folder.
    public var directory: String
    /// The most checks in flight at once, waiting ones included (`--max-concurrent-checks`).
    public var maxConcurrentChecks: Int
    /// How many shared serial queues run Lua (each plugin's queue targets one): the cores.
    public var checkQueues: Int
    /// The memory cap of each plugin's Lua state, in bytes (`--plugin-memory`).
    public var pluginMemoryBytes: Int
    /// The largest encoded result, in bytes (`--max-event-bytes`).
    public var maxEventBytes: Int
    /// How long a script's top level may run when it loads, in seconds.
    public var loadTimeout: Double
    /// First runs after a start or reload are spread over this many seconds (never more than
    /// the plugin's interval), at a fixed phase per plugin name.
    public var startSpread: Double
    /// Functions installed under the `beacon` table of every plugin, by dotted path
    /// (`"http.get"` becomes `beacon.http.get`).
    public var hostFunctions: [String: LuaHostFunction]
    /// Whether this process may run a plugin's check now, asked on the plugin's queue before each
    /// run (a cluster runs each plugin on one node only). A run it refuses is not started and not
    /// counted. Nil: every plugin runs. Must be quick and thread-safe.
    public var mayRun: (@Sendable (String) -> Bool)?

    public init(
        directory: String,
        maxConcurrentChecks: Int = PluginHostConfiguration.defaultConcurrentChecks,
        pluginMemoryBytes: Int = 64 << 20,
        maxEventBytes: Int = 64 << 10,
        loadTimeout: Double = 10,
        startSpread: Double = 1,
        checkQueues: Int = PluginHostConfiguration.defaultCheckQueues,
        hostFunctions: [String: LuaHostFunction] = [:]
    ) {
        self.directory = directory
        self.maxConcurrentChecks = maxConcurrentChecks
        self.checkQueues = checkQueues
        self.pluginMemoryBytes = pluginMemoryBytes
        self.maxEventBytes = maxEventBytes
        self.loadTimeout = loadTimeout
        self.startSpread = startSpread
        self.hostFunctions = hostFunctions
    }

    /// One per core the process may use.
    public static var defaultCheckQueues: Int { ProcessInfo.processInfo.activeProcessorCount }

    /// 1,000: waiting checks cost no thread, so the bound is on sockets and children in flight.
    public static var defaultConcurrentChecks: Int { 1000 }
}
