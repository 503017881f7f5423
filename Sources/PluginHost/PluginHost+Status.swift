import Foundation
import LuaKit

extension PluginHost {
    /// Seeds the levels of plugins from before (the event store's latest level of each): a plugin
    /// of one of these names starts with it, so its first result announces a change only when its
    /// level differs. Call before ``start()``.
    public func remember(_ levels: [String: PluginLevel]) {
        registry.withLock { registry in
            for (name, level) in levels where registry.runners[name] == nil { registry.remembered[name] = level }
        }
    }

    /// Gives running plugins the levels another node set while it ran them (a cluster node that
    /// has just become their leader); a level older than the one held is ignored.
    public func adopt(_ levels: [String: PluginLevel]) {
        let runners = registry.withLock { registry in levels.keys.compactMap { name in registry.runners[name].map { (name, $0) } } }
        for (name, runner) in runners {
            if let level = levels[name] { runner.adopt(level) }
        }
    }

    /// Every plugin, running or failed to load, by name.
    public func pluginStatuses() -> [PluginStatus] {
        let (runners, failed, failedSince) = registry.withLock { ($0.runners, $0.failedLoads, $0.failedSince) }
        var entries = runners.values.map { $0.status() }
        entries += failed.map { Self.failedStatus(name: $0.key, error: $0.value, since: failedSince[$0.key]) }
        return entries.sorted { $0.name < $1.name }
    }

    /// One plugin, or nil when there is no such plugin.
    public func pluginStatus(named name: String) -> PluginStatus? {
        let (runner, failed, since) = registry.withLock { ($0.runners[name], $0.failedLoads[name], $0.failedSince[name]) }
        if let runner { return runner.status() }
        if let failed { return Self.failedStatus(name: name, error: failed, since: since) }
        return nil
    }

    /// `GET /status`.
    public func overview() -> StatusOverview {
        StatusOverview(levels: levels())
    }

    /// The level of every plugin, running or failed to load.
    public func levels() -> [String: PluginLevel] {
        let (runners, failed, failedSince) = registry.withLock { ($0.runners, $0.failedLoads, $0.failedSince) }
        var levels: [String: PluginLevel] = [:]
        for (name, runner) in runners { levels[name] = runner.level }
        for (name, error) in failed { levels[name] = Self.failedLevel(error, since: failedSince[name]) }
        return levels
    }

    /// The level of plugin `name`, or nil when there is no such plugin.
    public func level(named name: String) -> PluginLevel? {
        let (runner, failed, since) = registry.withLock { ($0.runners[name], $0.failedLoads[name], $0.failedSince[name]) }
        if let runner { return runner.level }
        return failed.map { Self.failedLevel($0, since: since) }
    }

    /// `GET /plugins`.
    public func pluginsJSON() -> [UInt8] { StatusJSON.encode(pluginStatuses()) }

    /// `GET /plugins/NAME`, without its history; nil when there is no such plugin.
    public func pluginJSON(named name: String) -> [UInt8]? { pluginStatus(named: name).map(StatusJSON.encode) }

    private static func failedStatus(name: String, error: PluginLoadError, since: Double?) -> PluginStatus {
        PluginStatus(
            name: name, state: "failed", runs: nil,
            loadError: PluginStatus.ErrorInfo(kind: error.kind.rawValue, message: error.description, at: nil),
            level: failedLevel(error, since: since))
    }

    /// A plugin that never loaded cannot tell its level: `unknown`, the load error as summary.
    private static func failedLevel(_ error: PluginLoadError, since: Double?) -> PluginLevel {
        var level = PluginLevel()
        _ = level.apply(StatusReport(level: .unknown, summary: error.description), at: since ?? 0)
        return level
    }
}

/// Encodes the bodies of the status endpoints: compact, keys sorted, `/` not escaped.
public enum StatusJSON {
    public static func encode(_ value: some Encodable) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? Array(encoder.encode(value))) ?? Array("null".utf8)
    }
}
