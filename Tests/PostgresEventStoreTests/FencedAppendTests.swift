import EventStore
import Foundation
import Logging
import PostgresEventStore
import Synchronization
import Testing

/// Cluster writes against a real PostgreSQL: ids in commit order, leases and their fence.
@Suite(.enabled(if: TestDatabase.enabled, TestDatabase.skipped))
struct FencedAppendTests {
    private func result(_ plugin: String, _ n: Int) -> StoredEvent {
        StoredEvent(id: 0, stream: plugin, event: plugin, data: Array("{\"n\":\(n)}".utf8), unixMilliseconds: 1_000)
    }

    private func join(_ store: PostgresEventStore, _ name: String, plugins: [String], lease: Double = 5) throws -> HeartbeatAnswer {
        try store.heartbeat(
            nodeId: nil, name: name, address: "http://127.0.0.1:1", leaseSeconds: lease,
            plugins: Dictionary(uniqueKeysWithValues: plugins.map { ($0, "hash") }), release: [], canTake: true)
    }

    /// Four writers (each with its own connections, as nodes have) commit at once while a reader
    /// follows with "events after the last id I saw". With ids taken outside commit order (a
    /// plain sequence), the reader would see a later id before an earlier one commits and skip
    /// it; here it must see every id exactly once, in order.
    @Test(.timeLimit(.minutes(2))) func aReaderFollowingTheLastIdSeesEveryCommitOnceAndInOrder() throws {
        let url = try TestDatabase.create()
        let admin = try TestDatabase.open(url)
        defer { admin.close() }
        let plugins = ["p0", "p1", "p2", "p3"]
        let node = try join(admin, "writer", plugins: plugins, lease: 60)
        #expect(Set(node.leases.map(\.plugin)) == Set(plugins))
        let writers = try plugins.map { _ in try TestDatabase.open(url) }
        defer { writers.forEach { $0.close() } }
        let batches = 120
        let done = Atomic<Int>(0)
        let seen = Mutex<[StoredEvent]>([])
        let failures = Mutex<[String]>([])
        let group = DispatchGroup()
        for (index, lease) in node.leases.enumerated() {
            DispatchQueue.global().async(group: group) {
                var seq = lease.lastSeq
                for batch in 0..<batches {
                    let size = batch % 3 + 1
                    let events = (0..<size).map { offset -> FencedEvent in
                        FencedEvent(event: self.result(lease.plugin, Int(seq) + offset + 1), token: lease.token, seq: seq + Int64(offset) + 1)
                    }
                    do {
                        let appended = try writers[index].append(fenced: events, node: "writer")
                        if !appended.refused.isEmpty { failures.withLock { $0.append("refused \(appended.refused)") } }
                    } catch {
                        failures.withLock { $0.append("\(error)") }
                    }
                    seq += Int64(size)
                }
                done.add(1, ordering: .relaxed)
            }
        }
        let reader = try TestDatabase.open(url)
        defer { reader.close() }
        var last: UInt64 = 0
        while true {
            let finished = done.load(ordering: .relaxed) == plugins.count
            let read = try reader.events(after: last, streams: nil, limit: 500)
            seen.withLock { $0 += read.events }
            last = read.events.last?.id ?? last
            if finished && read.events.isEmpty { break }
        }
        group.wait()
        #expect(failures.withLock { $0 } == [])
        let ids = seen.withLock { $0.map(\.id) }
        let total = plugins.count * (0..<batches).reduce(0) { $0 + $1 % 3 + 1 }
        #expect(ids == Array(1...UInt64(total)))
        for plugin in plugins {
            let numbers = seen.withLock { $0 }.filter { $0.stream == plugin }.map { String(decoding: $0.data, as: UTF8.self) }
            #expect(numbers == (1...(total / plugins.count)).map { "{\"n\":\($0)}" })
        }
    }

    @Test func aStaleTokenIsRefusedAndARetriedBatchIsNotWrittenTwice() throws {
        let url = try TestDatabase.create()
        let nodeA = try TestDatabase.open(url)
        let nodeB = try TestDatabase.open(url)
        defer { nodeA.close(); nodeB.close() }
        let a = try join(nodeA, "a", plugins: ["p"], lease: 0.5)
        let b = try join(nodeB, "b", plugins: ["p"], lease: 5)
        #expect(a.leases.map(\.plugin) == ["p"])
        #expect(b.leases.isEmpty, "a live node's plugin is not taken")
        let tokenA = try #require(a.leases.first).token

        let first = [FencedEvent(event: result("p", 1), token: tokenA, seq: 1)]
        #expect(try nodeA.append(fenced: first, node: "a").committed.map(\.id) == [1])
        // The same batch again (as after a commit whose answer was lost): refused, not doubled.
        #expect(try nodeA.append(fenced: first, node: "a").refused == ["p"])

        Thread.sleep(forTimeInterval: 0.8)  // a's lease runs out: it sent no heartbeat
        let taken = try nodeB.heartbeat(nodeId: b.nodeId, name: "b", address: "x", leaseSeconds: 5, plugins: nil, release: [], canTake: true)
        let lease = try #require(taken.leases.first)
        #expect(lease.plugin == "p" && lease.token != tokenA && lease.lastSeq == 1)

        // a wakes up and commits with its old token: fenced out.
        let late = try nodeA.append(fenced: [FencedEvent(event: result("p", 2), token: tokenA, seq: 2)], node: "a")
        #expect(late.committed.isEmpty && late.refused == ["p"])
        let renewed = try nodeA.heartbeat(nodeId: a.nodeId, name: "a", address: "x", leaseSeconds: 0.5, plugins: nil, release: [], canTake: true)
        #expect(renewed.leases.isEmpty, "a lease taken over is not given back by a late heartbeat")

        #expect(try nodeB.append(fenced: [FencedEvent(event: result("p", 2), token: lease.token, seq: 2)], node: "b").committed.map(\.id) == [2])
        let stored = try nodeB.events(after: 0, streams: ["p"], limit: 10).events
        #expect(stored.map { String(decoding: $0.data, as: UTF8.self) } == ["{\"n\":1}", "{\"n\":2}"])
    }

    @Test func aNodeTakesNoMoreThanItsFairShare() throws {
        let url = try TestDatabase.create()
        let stores = try (0..<3).map { _ in try TestDatabase.open(url) }
        defer { stores.forEach { $0.close() } }
        let plugins = (0..<10).map { "p\($0)" }
        var ids: [Int64?] = [nil, nil, nil]
        // All three register first, then each takes its share.
        for round in 0..<2 {
            for (index, store) in stores.enumerated() {
                let answer = try store.heartbeat(
                    nodeId: ids[index], name: "n\(index)", address: "x", leaseSeconds: 5,
                    plugins: round == 0 ? Dictionary(uniqueKeysWithValues: plugins.map { ($0, "h") }) : nil, release: [], canTake: round == 1)
                ids[index] = answer.nodeId
            }
        }
        let leaders = try stores[0].heartbeat(
            nodeId: ids[0], name: "n0", address: "x", leaseSeconds: 5, plugins: nil, release: [], canTake: false).leaders
        #expect(Set(leaders.keys) == Set(plugins))
        let counts = Dictionary(grouping: leaders.values.compactMap(\.node), by: { $0 }).mapValues(\.count)
        #expect(counts.values.allSatisfy { $0 <= 4 }, "\(counts)")
        #expect(counts.values.reduce(0, +) == 10, "every plugin has a leader")
    }
    @Test func onlyALeaderPublishesAPluginsEntryAndOthersReadWhatChanged() throws {
        let url = try TestDatabase.create()
        let nodeA = try TestDatabase.open(url)
        let nodeB = try TestDatabase.open(url)
        defer { nodeA.close(); nodeB.close() }
        let a = try join(nodeA, "a", plugins: ["p"])
        let b = try join(nodeB, "b", plugins: ["q"])
        try nodeA.publishStates([("p", "{\"runs\":1}"), ("q", "{\"runs\":99}")], nodeId: a.nodeId, node: "a")
        try nodeB.publishStates([("q", "{\"runs\":2}")], nodeId: b.nodeId, node: "b")
        let all = try nodeB.pluginStates(after: 0)
        #expect(all.map { "\($0.plugin) \($0.node) \($0.entry)" } == ["p a {\"runs\":1}", "q b {\"runs\":2}"], "q is b's: a's entry of it is left out")
        let seen = try #require(all.last).version
        #expect(try nodeB.pluginStates(after: seen).isEmpty)
        try nodeA.publishStates([("p", "{\"runs\":3}")], nodeId: a.nodeId, node: "a")
        let changed = try nodeB.pluginStates(after: seen)
        #expect(changed.map(\.entry) == ["{\"runs\":3}"] && changed[0].version > seen)
    }

    @Test func eachNodesCountsArePublishedAndReadOnceChanged() throws {
        let store = try TestDatabase.open(try TestDatabase.create())
        defer { store.close() }
        try store.publishCounts(["p": PluginRunCounts(runs: 3, failures: 1, skippedTicks: 0)], nodeId: 1)
        try store.publishCounts(["p": PluginRunCounts(runs: 5), "q": PluginRunCounts(runs: 1)], nodeId: 2)
        let all = try store.publishedCounts(after: 0)
        #expect(all.map { "\($0.nodeId) \($0.plugin) \($0.counts.runs)" }.sorted() == ["1 p 3", "2 p 5", "2 q 1"])
        let seen = try #require(all.map(\.version).max())
        try store.publishCounts(["p": PluginRunCounts(runs: 4, failures: 1, skippedTicks: 2)], nodeId: 1)
        let changed = try store.publishedCounts(after: seen)
        #expect(changed.map(\.counts) == [PluginRunCounts(runs: 4, failures: 1, skippedTicks: 2)] && changed.first?.nodeId == 1)
    }

    @Test func aPluginsLatestLevelIsItsNewestCommittedEvents() throws {
        let store = try TestDatabase.open(try TestDatabase.create())
        defer { store.close() }
        let lease = try #require(try join(store, "a", plugins: ["p", "q"]).leases.first { $0.plugin == "p" })
        var ok = result("p", 1)
        (ok.status, ok.statusSince) = ("ok", 1_000)
        var critical = result("p", 2)
        (critical.status, critical.statusSince) = ("critical", 2_000)
        _ = try store.append(fenced: [FencedEvent(event: ok, token: lease.token, seq: 1), FencedEvent(event: critical, token: lease.token, seq: 2)], node: "a")
        let levels = try store.latestLevels(of: ["p", "q"])
        #expect(levels.count == 1, "q has no event")
        #expect(levels["p"]?.status == "critical" && levels["p"]?.sinceMilliseconds == 2_000)
    }

    @Test func aVersionOneDatabaseIsMigrated() throws {
        let url = try TestDatabase.create()
        try TestDatabase.open(url).close()
        try TestDatabase.psql(TestDatabase.url(url), "DROP TABLE beacon_plugin_states, beacon_plugin_counters; DROP SEQUENCE beacon_plugin_state_versions; UPDATE beacon_meta SET schema_version = 1")
        let store = try TestDatabase.open(url)
        defer { store.close() }
        let a = try join(store, "a", plugins: ["p"])
        try store.publishStates([("p", "{}")], nodeId: a.nodeId, node: "a")
        #expect(try store.pluginStates(after: 0).map(\.plugin) == ["p"])
        try TestDatabase.open(url).close()  // opened again at the latest version: nothing to migrate
    }
}
