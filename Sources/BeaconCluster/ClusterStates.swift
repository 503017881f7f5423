import Dispatch
public import Logging
public import PostgresEventStore
import Synchronization

/// Every plugin's entry in `/plugins` as its leader shows it, and every node's counts of its runs,
/// shared through the database: each node publishes the entries of the plugins it leads and its
/// counts when they changed, and reads what the others published since its last read, once per
/// ``interval``.
public final class ClusterStates: Sendable {
    /// How often entries are published and read: what another node shows lags at most about
    /// twice this behind the leader. (Each exchange encodes the entries of the plugins this
    /// node leads and moves every changed one through the database; once a second that cost
    /// 1,000 plugins every 1 s on three nodes about 6% of a core per node and 20% on PostgreSQL.)
    public static let interval = 5.0

    struct State {
        /// What this node published last, per plugin.
        var published: [String: String] = [:]
        /// The newest entry of each plugin read from the database.
        var entries: [String: PublishedPluginState] = [:]
        var lastVersion: Int64 = 0
        /// What this node published last of its counts, per plugin.
        var publishedCounts: [String: PluginRunCounts] = [:]
        /// Every node's (every incarnation's) counts, by node id and plugin.
        var counts: [Int64: [String: PluginRunCounts]] = [:]
        var lastCountsVersion: Int64 = 0
        var failing = false
    }

    private let store: PostgresEventStore
    private let logger: Logger
    private let state = Mutex(State())

    public init(store: PostgresEventStore, logger: Logger) {
        self.store = store
        self.logger = logger
    }

    /// The newest entry of each plugin, as its leader (named in it) published it.
    public var entries: [String: PublishedPluginState] { self.state.withLock { $0.entries } }

    /// The cluster's counts of each plugin's runs: every node's that ever ran it, with `local`
    /// (this node's now, as node `nodeId`) in place of what this node published.
    public func totals(local: [String: PluginRunCounts], nodeId: Int64?) -> [String: PluginRunCounts] {
        var totals = local
        let counts = self.state.withLock { $0.counts }
        for (node, plugins) in counts where node != nodeId {
            for (plugin, count) in plugins { totals[plugin] = (totals[plugin] ?? PluginRunCounts()) + count }
        }
        return totals
    }

    /// Publishes those of `entries` (plugin → JSON object) that changed since they were last
    /// published here, for the plugins node `nodeId` leads, and this node's `counts` that
    /// changed; then reads what changed elsewhere. Blocks on the database; call off the event loops.
    public func exchange(_ entries: [String: String], counts: [String: PluginRunCounts], nodeId: Int64, node: String) {
        let (changed, changedCounts) = self.state.withLock { state in
            (entries.filter { state.published[$0.key] != $0.value }.map { (plugin: $0.key, entry: $0.value) },
             counts.filter { state.publishedCounts[$0.key] != $0.value })
        }
        do {
            try self.store.publishStates(changed, nodeId: nodeId, node: node)
            try self.store.publishCounts(changedCounts, nodeId: nodeId)
            self.state.withLock { state in
                for (plugin, count) in changedCounts { state.publishedCounts[plugin] = count }
                for (plugin, entry) in changed { state.published[plugin] = entry }
                // Plugins led elsewhere now are published again when this node leads them again.
                state.published = state.published.filter { entries[$0.key] != nil }
            }
            let after = self.state.withLock { $0.lastVersion }
            let fresh = try self.store.pluginStates(after: after)
            self.state.withLock { state in
                for item in fresh {
                    state.entries[item.plugin] = item
                    state.lastVersion = max(state.lastVersion, item.version)
                }
            }
            let countsAfter = self.state.withLock { $0.lastCountsVersion }
            let freshCounts = try self.store.publishedCounts(after: countsAfter)
            self.state.withLock { state in
                for item in freshCounts {
                    state.counts[item.nodeId, default: [:]][item.plugin] = item.counts
                    state.lastCountsVersion = max(state.lastCountsVersion, item.version)
                }
                state.failing = false
            }
        } catch {
            let first = self.state.withLock { state -> Bool in
                defer { state.failing = true }
                return !state.failing
            }
            if first { self.logger.warning("cluster: exchanging the plugins' entries failed, retried: \(error)") }
        }
    }
}
