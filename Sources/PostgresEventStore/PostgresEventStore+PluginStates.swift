public import EventStore
import PostgresNIO

/// A plugin's entry in `/plugins` as its leader published it.
public struct PublishedPluginState: Sendable, Equatable {
    public var plugin: String
    /// The leader that published it.
    public var node: String
    /// Grows with every change of any plugin's entry.
    public var version: Int64
    /// The entry, a JSON object.
    public var entry: String
}

/// How often one node ran a plugin since it started.
public struct PluginRunCounts: Sendable, Equatable {
    public var runs: Int64
    public var failures: Int64
    public var skippedTicks: Int64

    public init(runs: Int64 = 0, failures: Int64 = 0, skippedTicks: Int64 = 0) {
        self.runs = runs
        self.failures = failures
        self.skippedTicks = skippedTicks
    }

    public static func + (left: Self, right: Self) -> Self {
        Self(runs: left.runs + right.runs, failures: left.failures + right.failures, skippedTicks: left.skippedTicks + right.skippedTicks)
    }
}

/// One node's counts of one plugin, as published.
public struct PublishedRunCounts: Sendable, Equatable {
    public var nodeId: Int64
    public var plugin: String
    public var version: Int64
    public var counts: PluginRunCounts
}

/// Versions of entries and counts are taken under a transaction-scoped advisory lock, so they
/// become visible in version order and a reader that has seen version V has seen every lower one.
extension PostgresEventStore {
    /// Publishes node `nodeId`'s counts of its runs of `counts`' plugins.
    public func publishCounts(_ counts: [String: PluginRunCounts], nodeId: Int64) throws(StoreError) {
        guard !counts.isEmpty else { return }
        let plugins = Array(counts.keys)
        let values = plugins.map { counts[$0] ?? PluginRunCounts() }
        let runs = values.map(\.runs)
        let failures = values.map(\.failures)
        let skipped = values.map(\.skippedTicks)
        try self.writes.transaction { connection in
            try connection.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.versionLockKey))")
            try connection.run(
                """
                INSERT INTO beacon_plugin_counters (node_id, plugin, version, runs, failures, skipped_ticks)
                SELECT \(nodeId), v.plugin, nextval('beacon_plugin_state_versions'), v.runs, v.failures, v.skipped
                FROM unnest(\(plugins)::text[], \(runs)::bigint[], \(failures)::bigint[], \(skipped)::bigint[])
                     AS v(plugin, runs, failures, skipped)
                ON CONFLICT (node_id, plugin) DO UPDATE SET version = excluded.version, runs = excluded.runs,
                    failures = excluded.failures, skipped_ticks = excluded.skipped_ticks
                """)
        }
    }

    /// The counts published after `version`, in version order.
    public func publishedCounts(after version: Int64) throws(StoreError) -> [PublishedRunCounts] {
        try self.reads.with { connection in
            try connection.run(
                """
                SELECT node_id, plugin, version, runs, failures, skipped_ticks FROM beacon_plugin_counters
                WHERE version > \(version) ORDER BY version
                """
            ).map { row in
                let (node, plugin, version, runs, failures, skipped) = try row.decode((Int64, String, Int64, Int64, Int64, Int64).self)
                return PublishedRunCounts(
                    nodeId: node, plugin: plugin, version: version, counts: PluginRunCounts(runs: runs, failures: failures, skippedTicks: skipped))
            }
        }
    }

    /// Publishes the entries of plugins that node `nodeId` (named `node`) leads; entries of
    /// plugins it does not lead (any more) are left out. Each written entry takes a new version.
    public func publishStates(_ entries: [(plugin: String, entry: String)], nodeId: Int64, node: String) throws(StoreError) {
        guard !entries.isEmpty else { return }
        let plugins = entries.map(\.plugin)
        let texts = entries.map(\.entry)
        try self.writes.transaction { connection in
            try connection.run("SELECT pg_advisory_xact_lock(\(PostgresSchema.versionLockKey))")
            try connection.run(
                """
                INSERT INTO beacon_plugin_states (plugin, node, version, entry)
                SELECT v.plugin, \(node), nextval('beacon_plugin_state_versions'), v.entry
                FROM unnest(\(plugins)::text[], \(texts)::text[]) AS v(plugin, entry)
                JOIN beacon_leases l ON l.plugin = v.plugin AND l.node_id = \(nodeId)
                ON CONFLICT (plugin) DO UPDATE SET node = excluded.node, version = excluded.version, entry = excluded.entry
                """)
        }
    }

    /// The entries published after `version`, in version order.
    public func pluginStates(after version: Int64) throws(StoreError) -> [PublishedPluginState] {
        try self.reads.with { connection in
            try connection.run(
                "SELECT plugin, node, version, entry FROM beacon_plugin_states WHERE version > \(version) ORDER BY version"
            ).map { row in
                let (plugin, node, version, entry) = try row.decode((String, String, Int64, String).self)
                return PublishedPluginState(plugin: plugin, node: node, version: version, entry: entry)
            }
        }
    }

    /// Each of `plugins`' level as its newest committed event has it: (level name or nil,
    /// since in Unix ms); plugins without a level-carrying event are left out.
    public func latestLevels(of plugins: [String]) throws(StoreError) -> [String: (status: String?, sinceMilliseconds: Int64)] {
        guard !plugins.isEmpty else { return [:] }
        let rows = try self.reads.with { connection in
            try connection.run(
                """
                SELECT p.stream, e.status, e.status_since FROM unnest(\(plugins)::text[]) AS p(stream)
                CROSS JOIN LATERAL (SELECT status, status_since FROM beacon_events WHERE stream = p.stream
                                    ORDER BY id DESC LIMIT 1) AS e
                """
            ).map { try $0.decode((String, String?, Int64?).self) }
        }
        var levels: [String: (status: String?, sinceMilliseconds: Int64)] = [:]
        for (plugin, status, since) in rows {
            if let since { levels[plugin] = (status, since) }
        }
        return levels
    }
}
