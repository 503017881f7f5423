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
    let hub: EventHub
    private let directory: String
    private let logger: Logger
    private let host = HostReference()
    /// (plugin, leader's hash) pairs already warned about.
    private let warned = Mutex<Set<String>>([])
    private let checks = Mutex<(any DispatchSourceTimer)?>(nil)

    init(store: PostgresEventStore, hub: EventHub, directory: String, logger: Logger) {
        self.hub = hub
        self.directory = directory
        self.logger = logger
        let host = self.host
        let node = ClusterNode(settings: ClusterNode.Settings(), store: store, logger: logger) { gained in
            logger.info("cluster: now leading \(gained.count) plugin\(gained.count == 1 ? "" : "s"): \(gained.prefix(20).joined(separator: ", "))\(gained.count > 20 ? ", …" : "")")
            let running = host.value.withLock { $0 }
            for name in gained { running?.runNow(name) }
        } lost: { lost in
            host.value.withLock { $0 }?.abandonRuns(of: lost)
        }
        let feed = ClusterFeed(store: store, hub: hub, logger: logger)
        self.node = node
        self.feed = feed
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
        self.logger.info("cluster: joined as node \(name) (\(address))")
    }

    /// Commits what is waiting, gives back every lease and stops reading. Returns how many
    /// results could not be committed.
    func stop(timeout: Double) -> Int {
        self.checks.withLock { $0?.cancel() }
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
