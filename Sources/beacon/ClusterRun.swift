import BeaconCluster
import Dispatch
import EventHub
import EventStore
import Foundation
import Logging
import PluginHost
import PostgresEventStore
import Synchronization

/// The cluster side of `beacon serve` on a PostgreSQL store: this node's membership and leases,
/// the fenced writer of its results, the feed of every node's events into the hub, and what the
/// status endpoints show of it.
final class ClusterRun: Sendable {
    let node: ClusterNode
    let writer: ClusterWriter
    let feed: ClusterFeed
    /// The leaders' entries of every plugin, for `/plugins`, `/status`, badges and metrics.
    let states: ClusterStates
    let hub: EventHub
    private let directory: String
    private let logger: Logger
    private let host = HostReference()
    /// (plugin, leader's hash) pairs already warned about.
    private let warned = Mutex<Set<String>>([])
    private let checks = Mutex<(any DispatchSourceTimer)?>(nil)
    private let exchange = Mutex<(any DispatchSourceTimer)?>(nil)
    /// The entries other nodes published, parsed once per exchange (never on an event loop).
    private let published = Mutex([String: PublishedEntry]())

    init(store: PostgresEventStore, hub: EventHub, directory: String, logger: Logger) {
        self.hub = hub
        self.directory = directory
        self.logger = logger
        let host = self.host
        let node = ClusterNode(settings: ClusterNode.Settings(), store: store, logger: logger) { taking in
            // The level each plugin had when another node last ran it, so the first run here
            // announces a change only against that.
            if let levels = try? store.latestLevels(of: taking) {
                host.value.withLock { $0 }?.adopt(levels.mapValues { PluginLevel(storedStatus: $0.status, sinceMilliseconds: $0.sinceMilliseconds) })
            }
        } gained: { gained in
            logger.info("cluster: now leading \(gained.count) plugin\(gained.count == 1 ? "" : "s"): \(gained.prefix(20).joined(separator: ", "))\(gained.count > 20 ? ", …" : "")")
            let running = host.value.withLock { $0 }
            for name in gained { running?.runNow(name) }
        } lost: { lost in
            host.value.withLock { $0 }?.abandonRuns(of: lost)
        }
        let feed = ClusterFeed(store: store, hub: hub, logger: logger)
        self.node = node
        self.feed = feed
        self.states = ClusterStates(store: store, logger: logger)
        self.writer = ClusterWriter(store: store, node: node, logger: logger) { feed.wake() }
    }

    /// The sink the plugin host reports to: results go to the writer, streams to the hub.
    var sink: any PluginEventSink { ClusterSink(run: self) }

    /// Asked by the plugin host before each run.
    var mayRun: @Sendable (String) -> Bool {
        let node = self.node
        return { node.mayRun($0) }
    }

    func attach(_ host: PluginHost) {
        self.host.value.withLock { $0 = host }
    }

    /// Joins the cluster as `name`, reached at `address`.
    func start(name: String, address: String) {
        self.refreshPlugins()
        self.feed.start()
        self.node.start(name: name, address: address)
        self.checks.withLock { checks in
            let timer = DispatchSource.makeTimerSource(queue: .global())
            timer.schedule(deadline: .now() + 0.5, repeating: 0.5, leeway: .milliseconds(100))
            timer.setEventHandler { [weak self] in
                self?.addClusterStreams()
                self?.warnAboutDifferentFiles()
            }
            checks = timer
            timer.resume()
        }
        self.exchange.withLock { exchange in
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "beacon-cluster-states"))
            let interval = ClusterStates.interval
            timer.schedule(deadline: .now() + interval, repeating: interval, leeway: .milliseconds(100))
            timer.setEventHandler { [weak self] in self?.exchangeStates() }
            exchange = timer
            timer.resume()
        }
        self.logger.info("cluster: joined as node \(name) (\(address))")
    }

    /// Commits what is waiting, gives back every lease and stops reading. Returns how many
    /// results could not be committed.
    func stop(timeout: Double) -> Int {
        self.checks.withLock { $0?.cancel() }
        self.exchange.withLock { $0?.cancel() }
        let left = self.writer.close(timeout: timeout)
        self.node.stop()
        self.feed.stop()
        return left
    }

    /// Tells the cluster which plugins this node has now, with each file's hash (after a start
    /// or a reload).
    func refreshPlugins() {
        guard let names = self.host.value.withLock({ $0?.pluginNames }) else { return }
        var plugins: [String: String] = [:]
        for name in names {
            let path = (self.directory as NSString).appendingPathComponent("\(name).lua")
            let contents = FileManager.default.contents(atPath: path).map { [UInt8]($0) } ?? []
            plugins[name] = Self.hash(contents)
        }
        self.node.setPlugins(plugins)
    }

    /// FNV-1a, 64 bits, in hex: enough to tell two versions of a file apart.
    static func hash(_ bytes: [UInt8]) -> String {
        var value: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in bytes {
            value ^= UInt64(byte)
            value &*= 0x0000_0100_0000_01b3
        }
        let hex = String(value, radix: 16)
        return String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Every node streams every plugin a live node has, also those missing from this folder.
    private func addClusterStreams() {
        guard let leaders = self.node.view.answer?.leaders else { return }
        for (plugin, leader) in leaders where leader.node != nil { self.hub.addStream(plugin) }
    }

    private func warnAboutDifferentFiles() {
        let view = self.node.view
        guard let answer = view.answer else { return }
        for (plugin, mine) in view.plugins.sorted(by: { $0.key < $1.key }) {
            guard let leader = answer.leaders[plugin], let theirs = leader.hash, let leaderNode = leader.node, theirs != mine else { continue }
            guard self.warned.withLock({ $0.insert("\(plugin) \(theirs) \(mine)").inserted }) else { continue }
            self.logger.warning(
                "cluster: plugins/\(plugin).lua here differs from the file of its leader \(leaderNode) (hash \(mine) here, \(theirs) there); deploy the same file to every node",
                metadata: ["plugin": "\(plugin)"])
        }
    }

    /// Publishes the entries of the plugins this node leads and reads the others'.
    private func exchangeStates() {
        guard let nodeId = self.node.view.answer?.nodeId, let host = self.host.value.withLock({ $0 }) else { return }
        var entries: [String: String] = [:]
        let statuses = host.pluginStatuses()
        for status in statuses where self.node.mayRun(status.name) {
            entries[status.name] = String(decoding: StatusJSON.encode(status), as: UTF8.self)
        }
        self.states.exchange(entries, counts: Self.counts(statuses), nodeId: nodeId, node: self.node.name)
        let me = self.node.name
        let before = self.published.withLock { $0 }
        var parsed: [String: PublishedEntry] = [:]
        for (name, item) in self.states.entries where item.node != me {
            if let kept = before[name], kept.version == item.version {
                parsed[name] = kept
            } else if let entry = JSONValue(json: Array(item.entry.utf8)), case .object(let fields) = entry {
                parsed[name] = PublishedEntry(version: item.version, fields: fields, level: Self.level(in: fields))
            }
        }
        self.published.withLock { $0 = parsed }
    }

    /// This node's counts of its runs of each plugin it ran.
    private static func counts(_ statuses: [PluginStatus]) -> [String: PluginRunCounts] {
        var counts: [String: PluginRunCounts] = [:]
        for status in statuses {
            guard let runs = status.runs, runs.runs + runs.failures + runs.skippedTicks > 0 else { continue }
            counts[status.name] = PluginRunCounts(runs: Int64(runs.runs), failures: Int64(runs.failures), skippedTicks: Int64(runs.skippedTicks))
        }
        return counts
    }

    /// The cluster's counts of each plugin's runs: those of every node that ran it, this one included.
    func runTotals(local: [PluginStatus]) -> [String: PluginRunCounts] {
        self.states.totals(local: Self.counts(local), nodeId: self.node.view.answer?.nodeId)
    }

    /// `/plugins` on a cluster node, by name: for each plugin of the cluster, the entry of its
    /// leader (this node's own for the plugins it leads, and for those no other node published),
    /// with the cluster's counts of its runs, its leader, this node's file hash, and whether the
    /// files differ.
    func pluginEntries(local: [PluginStatus]) -> [(name: String, entry: JSONValue)] {
        let remote = self.remoteEntries()
        let totals = self.runTotals(local: local)
        var entries: [String: JSONValue] = [:]
        for status in local {
            entries[status.name] = remote[status.name]?.entry ?? JSONValue(json: StatusJSON.encode(status))
        }
        for (name, item) in remote where entries[name] == nil { entries[name] = item.entry }
        return entries.sorted { $0.key < $1.key }.compactMap { name, entry in
            guard case .object(var fields) = entry else { return nil }
            if let total = totals[name], fields["runs"] != nil {
                fields["runs"] = .integer(total.runs)
                fields["failures"] = .integer(total.failures)
                fields["skipped_ticks"] = .integer(total.skippedTicks)
            }
            let info = self.pluginInfo(name)
            fields["node"] = info.node.map(JSONValue.string) ?? .null
            fields["hash"] = info.hash.map(JSONValue.string) ?? .null
            fields["file_differs"] = info.fileDiffers.map(JSONValue.bool)
            return (name, .object(fields))
        }
    }

    /// The levels of every plugin of the cluster: the leaders', over `local` for plugins led elsewhere.
    func levels(local: [String: PluginLevel]) -> [String: PluginLevel] {
        var levels = local
        let remote = self.remoteEntries()
        for (name, item) in remote { levels[name] = item.level }
        // Plugins led elsewhere whose leader has published no entry yet: their newest event's level.
        for (name, newest) in self.feed.latestLevels where remote[name] == nil && levels[name] != nil && !self.node.mayRun(name) {
            levels[name] = PluginLevel(storedStatus: newest.status, sinceMilliseconds: newest.sinceMilliseconds)
        }
        return levels
    }

    /// Entries other nodes published of plugins that this node does not lead now and that have
    /// a live leader. The level in them is the one of the plugin's newest committed event (read
    /// as it comes, while entries are exchanged every few seconds); the summary stays only when
    /// the entry's level is that one.
    private func remoteEntries() -> [String: (entry: JSONValue, level: PluginLevel)] {
        let leaders = self.node.view.answer?.leaders ?? [:]
        let committed = self.feed.latestLevels
        var remote: [String: (entry: JSONValue, level: PluginLevel)] = [:]
        for (name, item) in self.published.withLock({ $0 }) where leaders[name]?.node != nil && !self.node.mayRun(name) {
            var fields = item.fields
            let published = item.level
            var level = published
            if let newest = committed[name] {
                level = PluginLevel(storedStatus: newest.status, sinceMilliseconds: newest.sinceMilliseconds)
                if level.status == published.status, level.sinceMilliseconds == published.sinceMilliseconds {
                    level.summary = published.summary
                }
            }
            fields["status"] = level.storedStatus.map(JSONValue.string) ?? .null
            fields["summary"] = level.summary.map(JSONValue.string) ?? .null
            fields["status_since"] = level.since.map(JSONValue.number) ?? .null
            remote[name] = (.object(fields), level)
        }
        return remote
    }

    /// The level an entry shows.
    private static func level(in fields: [String: JSONValue]) -> PluginLevel {
        let since: Double? = switch fields["status_since"] {
        case .number(let since): since
        case .integer(let since): Double(since)
        default: nil
        }
        var level = PluginLevel()
        if let since {
            let status: String? = if case .string(let status) = fields["status"] { status } else { nil }
            level = PluginLevel(storedStatus: status, sinceMilliseconds: Int64((since * 1000).rounded()))
        }
        if case .string(let summary) = fields["summary"] { level.summary = summary }
        return level
    }

    /// What `/plugins` adds to plugin `name`'s entry.
    func pluginInfo(_ name: String) -> ClusterPluginInfo {
        let view = self.node.view
        let leader = view.answer?.leaders[name]
        let mine = view.plugins[name]
        let differs = leader?.hash.flatMap { theirs in mine.map { theirs != $0 } }
        return ClusterPluginInfo(node: leader?.node, hash: mine, fileDiffers: differs)
    }

    /// `GET /cluster`.
    func clusterJSON() -> [UInt8] {
        let view = self.node.view
        let name = self.node.name
        var leads: [Int64: [String]] = [:]
        var byName: [String: Int64] = [:]
        for member in view.answer?.members ?? [] { byName[member.name] = member.id }
        for (plugin, leader) in view.answer?.leaders ?? [:] {
            if let node = leader.node, let id = byName[node] { leads[id, default: []].append(plugin) }
        }
        let nodes = (view.answer?.members ?? []).map { member in
            let plugins = (leads[member.id] ?? []).sorted().map(JSONText.quoted).joined(separator: ",")
            return "{\"name\":\(JSONText.quoted(member.name)),\"address\":\(JSONText.quoted(member.address)),"
                + "\"self\":\(member.id == view.answer?.nodeId ? "true" : "false"),"
                + "\"last_contact_seconds\":\(String(format: "%.3f", member.secondsSinceContact)),"
                + "\"leads\":[\(plugins)]}"
        }
        let store = "{\"reachable\":\(view.reachable ? "true" : "false"),\"listening\":\(self.feed.isListening ? "true" : "false"),"
            + "\"last_id\":\(self.hub.lastId),\"error\":\(view.error.map(JSONText.quoted) ?? "null")}"
        let text = "{\"node\":\(JSONText.quoted(name)),\"fair_share\":\(view.answer?.fairShare ?? 0),"
            + "\"nodes\":[\(nodes.joined(separator: ","))],\"store\":\(store)}"
        return Array(text.utf8)
    }

    /// The body of `/healthz`'s 503 while PostgreSQL cannot be reached; nil otherwise.
    func degradedJSON() -> [UInt8]? {
        let view = self.node.view
        guard !view.reachable || !self.feed.isListening else { return nil }
        let reason = view.error ?? "the connection that receives new events is down"
        return Array("{\"status\":\"degraded\",\"reason\":\(JSONText.quoted("PostgreSQL unreachable: \(reason)"))}".utf8)
    }
}

/// An entry another node published, as read at one exchange.
struct PublishedEntry: Sendable {
    var version: Int64
    var fields: [String: JSONValue]
    /// The level the entry shows.
    var level: PluginLevel
}

/// A plugin's leader and file hashes, as `/plugins` shows them on a cluster node.
struct ClusterPluginInfo {
    /// The leader's name; nil while the plugin has none.
    var node: String?
    /// The hash of this node's file.
    var hash: String?
    /// Whether the leader's file differs from this node's; nil when either is unknown.
    var fileDiffers: Bool?
}

/// The plugin host, set once it exists (the cluster is made before it).
final class HostReference: Sendable {
    let value = Mutex<PluginHost?>(nil)
}

/// Plugin results of a cluster node: to the fenced writer (the hub gets them back from the store,
/// with their cluster-wide ids).
struct ClusterSink: PluginEventSink {
    let run: ClusterRun

    func pluginAdded(_ name: String) { run.hub.addStream(name) }

    func publish(plugin name: String, event: String, json: [UInt8]) {
        run.writer.submit(StoredEvent(id: 0, stream: name, event: event, data: json, unixMilliseconds: StoreWriter.unixMilliseconds()))
    }

    func publish(plugin name: String, event: String, json: [UInt8], level: PluginLevel) {
        run.writer.submit(StoredEvent(
            id: 0, stream: name, event: event, data: json, unixMilliseconds: StoreWriter.unixMilliseconds(),
            status: level.storedStatus, statusSince: level.sinceMilliseconds))
    }

    func pluginRemoved(_ name: String, reason: PluginRemoval) {
        HubSink(hub: run.hub).pluginRemoved(name, reason: reason)
    }
}
