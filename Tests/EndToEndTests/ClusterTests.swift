import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Three real `beacon` processes on one real PostgreSQL database.
///
/// One test at a time: each blocks the thread it runs on for seconds, and several at once would
/// hold every thread the other suites' async tests run on.
@Suite(.enabled(if: TestPostgres.enabled, TestPostgres.skipped), .serialized)
struct ClusterTests {
    private func plugins(_ count: Int, schedule: String) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("p\($0).lua", nodeCounterPlugin(schedule: schedule)) })
    }

    private func names(_ count: Int) -> Set<String> { Set((0..<count).map { "p\($0)" }) }

    /// Committed rows: every plugin's seqs are 1...k without gaps, and each run (pid, n) is committed once.
    private func expectGapFreeAndOnce(_ cluster: TestCluster, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let rows = try cluster.committed()
        #expect(rows.map(\.id) == Array(1..<(rows.count + 1)), "ids gap-free", sourceLocation: sourceLocation)
        for (stream, events) in Dictionary(grouping: rows, by: \.stream) {
            #expect(events.map(\.seq) == Array(1...events.count), "\(stream): seqs gap-free", sourceLocation: sourceLocation)
            let runs = events.map(\.data)
            #expect(Set(runs).count == runs.count, "\(stream): a run committed twice", sourceLocation: sourceLocation)
        }
    }

    @Test(.timeLimit(.minutes(3))) func leadersAreSpreadAndUniqueAndEveryNodeStreamsEveryPlugin() throws {
        let cluster = try TestCluster(nodes: 3, plugins: plugins(12, schedule: "200ms"))
        defer { cluster.stopAll() }
        let leaders = try #require(cluster.settled(names(12), most: 4 + 2), "12 plugins over 3 nodes: at most ⌈12/3⌉+2 each")
        #expect(Set(leaders.values).count == 3, "every node leads some")
        // Every node sees the same leaders (the leaders map refuses a plugin listed twice).
        #expect(waitFor(seconds: 10) { () -> Bool? in
            let views = (0..<3).compactMap { try? cluster.leaders(seenBy: $0) }
            return views.count == 3 && views[0] == views[1] && views[1] == views[2] ? true : nil
        } == true)
        // Every node streams every plugin, with the same ids.
        let streams = try (0..<3).map { try TestConnection.stream(port: try cluster.node($0).port, "/events").0 }
        let seen = streams.map { $0.events(60, seconds: 20) }
        for events in seen {
            #expect(Set(events.map(\.event)) == names(12), "a node streams every plugin")
        }
        // The first 12 events of each stream are each plugin's latest; the live ones follow.
        let live = seen.map { Array($0.dropFirst(12)) }
        let low = live.map { $0.first?.numericId ?? 0 }.max() ?? 0
        let high = live.map { $0.last?.numericId ?? 0 }.min() ?? 0
        let common = live.map { $0.filter { $0.numericId >= low && $0.numericId <= high }.map(\.description) }
        #expect(common[0].count > 5)
        #expect(common[0] == common[1] && common[1] == common[2])
        // Each plugin's recent runs come from one node at a time: a hand-over (a rebalance, or a
        // lease that lapsed on this busy machine) shows as a change of node, never as two nodes
        // taking turns.
        let recent = try cluster.committed().filter { $0.id >= Int(low) }
        for (stream, rows) in Dictionary(grouping: recent, by: \.stream) {
            var segments: [String] = []
            for row in rows where segments.last != row.node { segments.append(row.node) }
            #expect(segments.count <= 3, "\(stream) ran on \(segments)")
        }
    }

    @Test(.timeLimit(.minutes(3))) func killedNodesPluginsMoveAndItsSubscribersResumeExactlyOnAnotherNode() throws {
        let cluster = try TestCluster(nodes: 3, plugins: plugins(6, schedule: "100ms"))
        defer { cluster.stopAll() }
        let leaders = try #require(cluster.settled(names(6), most: 2))
        let victim = try cluster.node(0)
        let moved = leaders.filter { $0.value == "node0" }.map(\.key).sorted()
        try #require(!moved.isEmpty)
        let (witness, _) = try TestConnection.stream(port: try cluster.node(1).port, "/events")
        let (multiplexed, _) = try TestConnection.stream(port: victim.port, "/events")
        let (single, _) = try TestConnection.stream(port: victim.port, "/events/\(moved[0])")
        let readMultiplexed = multiplexed.events(15)
        let readSingle = single.events(3)
        try #require(readMultiplexed.count == 15 && readSingle.count == 3)

        victim.send(signal: SIGKILL)
        victim.process.waitUntilExit()
        let killedAt = Date()
        cluster.forget(0)
        // The moved plugins run on the others: their events come again through node1's stream.
        var firstAfter: [String: Double] = [:]
        var witnessed: [SSEEvent] = []
        let lastBefore = try cluster.committed().last?.id ?? 0
        while firstAfter.count < moved.count, Date().timeIntervalSince(killedAt) < 20, let event = witness.nextEvent(seconds: 20) {
            if event.event != "done" { witnessed.append(event) }
            if moved.contains(event.event), event.numericId > lastBefore, firstAfter[event.event] == nil {
                firstAfter[event.event] = Date().timeIntervalSince(killedAt)
            }
        }
        #expect(firstAfter.count == moved.count, "every plugin of the killed node runs elsewhere")
        print("failover after kill -9: \(firstAfter.sorted { $0.key < $1.key }.map { "\($0.key) \(String(format: "%.2f", $0.value)) s" })")
        witnessed += witness.events(30, seconds: 10)

        // Resume on another node with ids taken from the killed one.
        let lastMultiplexed = try #require(readMultiplexed.last).numericId
        let (resumed, outcome) = try TestConnection.stream(port: try cluster.node(2).port, "/events", lastEventID: String(lastMultiplexed))
        #expect(outcome == "resumed")
        let expected = witnessed.filter { $0.numericId > lastMultiplexed }.prefix(20).map(\.description)
        #expect(resumed.events(expected.count).map(\.description) == Array(expected))

        let lastSingle = try #require(readSingle.last).numericId
        let (resumedSingle, singleOutcome) = try TestConnection.stream(
            port: try cluster.node(1).port, "/events/\(moved[0])", lastEventID: String(lastSingle))
        #expect(singleOutcome == "resumed")
        let expectedSingle = witnessed.filter { $0.event == moved[0] && $0.numericId > lastSingle }.prefix(5).map(\.description)
        #expect(resumedSingle.events(expectedSingle.count).map(\.description) == Array(expectedSingle))
        try expectGapFreeAndOnce(cluster)
    }

    /// SIGSTOP for 4 s, then SIGCONT. The lease is 1.2 s and a node trusts it only until its local
    /// deadline, so 4 s does what a minute does: the leases are gone when it wakes.
    @Test(.timeLimit(.minutes(3))) func aFrozenNodeRunsNothingItNoLongerLeadsWhenItWakes() throws {
        let cluster = try TestCluster(nodes: 3, plugins: plugins(6, schedule: "100ms"))
        defer { cluster.stopAll() }
        let leaders = try #require(cluster.settled(names(6), most: 2))
        let frozen = try cluster.node(0)
        let lost = Set(leaders.filter { $0.value == "node0" }.map(\.key))
        try #require(!lost.isEmpty)
        frozen.send(signal: SIGSTOP)
        usleep(500_000)  // what it wrote before the stop has been read
        let logBefore = frozen.log.count
        let taken = waitFor(seconds: 15) { () -> Bool? in
            guard let now = try? cluster.leaders(seenBy: 1) else { return nil }
            return lost.allSatisfy { now[$0] != nil && now[$0] != "node0" } ? true : nil
        }
        #expect(taken == true, "the frozen node's plugins moved")
        usleep(2_000_000)
        frozen.send(signal: SIGCONT)
        usleep(3_000_000)
        // After waking, a plugin runs there only after the node took its lease again.
        let woke = String(frozen.log.dropFirst(logBefore))
        var leading = Set<String>()
        var ranWithoutLease: [String] = []
        var runsAfterWaking = 0
        for line in woke.split(separator: "\n") {
            if let range = line.range(of: "now leading ") {
                let list = line[range.upperBound...].split(separator: ":", maxSplits: 1).last ?? ""
                for name in list.split(separator: ",") { leading.insert(name.trimmingCharacters(in: .whitespaces)) }
            }
            // A plugin's print: "... [p3] ran 17".
            if let ran = line.range(of: "] ran "), let open = line[..<ran.lowerBound].lastIndex(of: "[") {
                let plugin = String(line[line.index(after: open)..<ran.lowerBound])
                runsAfterWaking += 1
                if !leading.contains(plugin) { ranWithoutLease.append(String(line)) }
            }
        }
        #expect(ranWithoutLease == [], "ran after waking without a lease")
        #expect(runsAfterWaking > 0, "the woken node runs the plugins it leads again")
        for index in 0..<3 { try cluster.node(index).stop() }
        try expectGapFreeAndOnce(cluster)
        // Each plugin's committed runs are in runs of one node at a time (no interleaving).
        for (stream, rows) in Dictionary(grouping: try cluster.committed(), by: \.stream) {
            var segments: [String] = []
            for row in rows where segments.last != row.node { segments.append(row.node) }
            #expect(segments.count <= 4, "\(stream) changed hands \(segments.count - 1) times: \(segments)")
        }
    }

    @Test(.timeLimit(.minutes(3))) func postgresStoppedAndStartedUnderLoadLosesAndDoublesNothing() throws {
        let server = try PrivatePostgres()
        defer { server.close() }
        let name = "beacon_outage"
        try TestPostgres.psql(server.url, "CREATE DATABASE \(name)")
        let store = server.url.replacingOccurrences(of: "/postgres", with: "/\(name)")
        let cluster = try TestCluster(nodes: 3, plugins: plugins(6, schedule: "100ms"), store: store, arguments: ["--heartbeat", "1"])
        defer { cluster.stopAll() }
        try #require(cluster.settled(names(6), most: 2) != nil)
        let observer = try cluster.node(1)
        let (stream, _) = try TestConnection.stream(port: observer.port, "/events")
        var received = stream.events(20)
        #expect(try httpGet(port: observer.port, "/healthz").status == 200)

        try server.stopServer()
        let degraded = waitFor(seconds: 15) { () -> String? in
            guard let answer = try? httpGet(port: observer.port, "/healthz"), answer.status == 503 else { return nil }
            return answer.body
        }
        #expect(degraded?.contains("\"status\":\"degraded\"") == true, "\(degraded ?? "no 503")")
        usleep(2_000_000)
        received += stream.events(1000, seconds: 1)  // what was committed before the stop
        try server.startServer()
        let back = Date()
        // Within 5 s on a quiet machine (docs/BENCHMARKS.md); the bound here is for a loaded one.
        let healthy = waitFor(seconds: 45) { (try? httpGet(port: observer.port, "/healthz"))?.status == 200 ? true : nil }
        #expect(healthy == true, "\((try? httpGet(port: observer.port, "/healthz").body) ?? "no answer")\n\(observer.log.suffix(3000))")
        print("healthy again \(String(format: "%.2f", Date().timeIntervalSince(back))) s after PostgreSQL came back")
        let resumedEvents = stream.events(30, seconds: 15)
        #expect(resumedEvents.count == 30, "the stream stayed open and goes on")
        print("events again \(String(format: "%.2f", Date().timeIntervalSince(back))) s after PostgreSQL came back")
        received += resumedEvents
        #expect(!stream.closedByPeer)
        let ids = received.map(\.numericId)
        #expect(ids == ids.sorted() && Set(ids).count == ids.count, "no event twice or out of order")
        for index in 0..<3 { try cluster.node(index).stop() }
        try expectGapFreeAndOnce(cluster)
    }

    /// A run waiting when the node can no longer confirm its lease stops at the lease deadline
    /// (another node could take the plugin then), not when it would have ended.
    @Test(.timeLimit(.minutes(3))) func aRunInFlightStopsWhenItsLeaseCannotBeConfirmed() throws {
        let server = try PrivatePostgres()
        defer { server.close() }
        try TestPostgres.psql(server.url, "CREATE DATABASE beacon_lapse")
        let store = server.url.replacingOccurrences(of: "/postgres", with: "/beacon_lapse")
        let slow = """
            schedule = "60s"
            timeout = "30s"
            function check_status()
              print("run started")
              beacon.sleep(6)
              print("run finished")
              return { ok = true }
            end
            """
        let cluster = try TestCluster(nodes: 1, plugins: ["slow.lua": slow], store: store)
        defer { cluster.stopAll() }
        let node = try cluster.node(0)
        try #require(node.waitForLog("run started", seconds: 30), "\(node.log.suffix(3000))")
        let started = Date()
        try server.stopServer()
        #expect(node.waitForLog("could not be confirmed in time", seconds: 20), "\(node.log.suffix(3000))")
        // Past the moment the run would have ended had it gone on.
        let left = 8 - Date().timeIntervalSince(started)
        if left > 0 { usleep(UInt32(left * 1_000_000)) }
        #expect(!node.log.contains("run finished"), "the run went on without a lease: \(node.log.suffix(3000))")
        try server.startServer()
    }

    /// A plugin that sets the level written in file `levelFile` (ok when there is none).
    private func levelPlugin(_ levelFile: URL) -> String {
        """
        schedule = "200ms"
        function check_status()
          local file = io.open("\(levelFile.path)")
          local level = file and file:read("l") or "ok"
          if file then file:close() end
          beacon.status(level, "level " .. level)
          return { level = level }
        end
        """
    }

    private func levelPlugins(_ count: Int, levels: PluginFolder) -> [String: String] {
        Dictionary(uniqueKeysWithValues: (0..<count).map { ("p\($0).lua", levelPlugin(levels.url.appendingPathComponent("p\($0)"))) })
    }

    private func json(_ text: String) -> Any? { try? JSONSerialization.jsonObject(with: Data(text.utf8)) }

    @Test(.timeLimit(.minutes(3))) func everyNodeShowsEachPluginsEntryLevelBadgeAndMetricsAsItsLeaderHasThem() throws {
        let levels = try PluginFolder()
        defer { levels.delete() }
        try levels.write("p0", "critical\n")
        let cluster = try TestCluster(nodes: 3, plugins: levelPlugins(6, levels: levels))
        defer { cluster.stopAll() }
        try #require(cluster.settled(names(6), most: 4) != nil)
        usleep(1_000_000)
        // Every run of p0 commits one event (its level never changes): each node's counts of
        // the cluster's runs are at least these, once the counts were exchanged.
        let committedRuns = try cluster.committed().filter { $0.stream == "p0" }.count
        for index in 0..<3 {
            let port = try cluster.node(index).port
            // Runs are counted by each plugin's leader: a node that leads two of the six shows
            // runs of all six only when it shows the leaders' entries.
            let agreed = waitFor(seconds: 30) { () -> Bool? in
                guard let leaders = try? cluster.leaders(seenBy: index),
                    let body = try? httpGet(port: port, "/plugins").body, let entries = json(body) as? [[String: Any]]
                else { return nil }
                let byName = Dictionary(entries.compactMap { entry in (entry["name"] as? String).map { ($0, entry) } }) { first, _ in first }
                let shown = names(6).allSatisfy { name in
                    guard let entry = byName[name] else { return false }
                    return entry["node"] as? String == leaders[name] && (entry["runs"] as? Int ?? 0) > 0
                        && entry["status"] as? String == (name == "p0" ? "critical" : "ok")
                }
                return shown ? true : nil
            }
            #expect(agreed == true, "node\(index)'s /plugins: \((try? httpGet(port: port, "/plugins").body) ?? "no answer")")
            let status = json(try httpGet(port: port, "/status").body) as? [String: Any]
            #expect(status?["status"] as? String == "critical")
            #expect(status?["counts"] as? [String: Int] == ["ok": 5, "warning": 0, "critical": 1, "unknown": 0, "none": 0], "\(status ?? [:])")
            #expect(try httpGet(port: port, "/badge/p0.svg").body.contains("critical"))
            let metrics = try httpGet(port: port, "/metrics").body
            #expect(metrics.contains("beacon_plugin_status{plugin=\"p0\"} 2"), "node\(index)")
            #expect(metrics.contains("beacon_plugin_status{plugin=\"p5\"} 0"), "node\(index)")
            let clusterRuns = { () -> Int in
                let text = (try? httpGet(port: port, "/metrics").body) ?? ""
                let line = text.split(separator: "\n").first { $0.hasPrefix("beacon_cluster_check_runs_total{plugin=\"p0\"} ") }
                return line.flatMap { Int($0.split(separator: " ").last ?? "") } ?? -1
            }
            let counted = waitFor(seconds: 30) { clusterRuns() >= committedRuns ? true : nil }
            #expect(counted == true, "node\(index): beacon_cluster_check_runs_total for p0 \(clusterRuns()), \(committedRuns) committed")
            let detail = json(try httpGet(port: port, "/plugins/p0").body) as? [String: Any]
            #expect((detail?["runs"] as? Int ?? 0) >= committedRuns && detail?["status"] as? String == "critical" && detail?["history"] is [Any])
        }
    }

    /// A node that takes a plugin over starts from the level it has in the store, not from the
    /// one it saw when it last ran it: a change is announced once, by the node that saw it.
    @Test(.timeLimit(.minutes(3))) func aNewLeaderStartsFromThePluginsCommittedLevel() throws {
        let levels = try PluginFolder()
        defer { levels.delete() }
        let cluster = try TestCluster(nodes: 2, plugins: levelPlugins(4, levels: levels))
        defer { cluster.stopAll() }
        try #require(cluster.settled(names(4), most: 3) != nil)
        // node0 runs all four at ok, then node1 comes back and takes some.
        _ = try cluster.node(1).stop()
        cluster.forget(1)
        try #require(cluster.settled(names(4), most: 4) != nil)
        usleep(1_000_000)
        try cluster.start(1)
        let moved = try #require(waitFor(seconds: 30) { () -> [String]? in
            let led = (try? cluster.leaders(seenBy: 0))?.filter { $0.value == "node1" }.map(\.key) ?? []
            return led.isEmpty ? nil : led.sorted()
        })
        for index in 0..<4 { try levels.write("p\(index)", "critical\n") }
        let announced = { (rows: [(id: Int, stream: String, seq: Int, node: String, data: String)]) in
            Dictionary(grouping: rows.filter { $0.data.contains("\"to\":\"critical\"") }, by: \.stream).mapValues(\.count)
        }
        #expect(waitFor(seconds: 20) { announced((try? cluster.committed()) ?? []).count == 4 ? true : nil } == true)
        // node0 takes the moved plugins back, having last seen them at ok.
        try cluster.node(1).send(signal: SIGKILL)
        try cluster.node(1).process.waitUntilExit()
        cluster.forget(1)
        let killed = try cluster.committed().last?.id ?? 0
        let ranAgain = waitFor(seconds: 30) { () -> Bool? in
            let after = (try? cluster.committed())?.filter { $0.id > killed && $0.node == "node0" } ?? []
            return moved.allSatisfy { name in after.filter { $0.stream == name }.count >= 3 } ? true : nil
        }
        #expect(ranAgain == true, "node0 runs \(moved) again")
        let counts = announced(try cluster.committed())
        #expect(counts == ["p0": 1, "p1": 1, "p2": 1, "p3": 1], "status-change to critical per plugin: \(counts)")
    }

    /// A database that stops answering (its processes frozen: connections stay open, queries
    /// wait) is noticed although no call fails: `/healthz` turns 503, and back when it answers.
    @Test(.timeLimit(.minutes(3))) func aDatabaseThatStopsAnsweringIsNoticed() throws {
        let server = try PrivatePostgres()
        defer {
            try? server.signalServer(SIGCONT)
            server.close()
        }
        try TestPostgres.psql(server.url, "CREATE DATABASE beacon_hang")
        let store = server.url.replacingOccurrences(of: "/postgres", with: "/beacon_hang")
        let cluster = try TestCluster(nodes: 1, plugins: plugins(2, schedule: "200ms"), store: store)
        defer { cluster.stopAll() }
        let node = try cluster.node(0)
        try #require(cluster.settled(names(2), most: 2) != nil)
        #expect(try httpGet(port: node.port, "/healthz").status == 200)
        try server.signalServer(SIGSTOP)
        let frozen = Date()
        let degraded = waitFor(seconds: 30) { () -> String? in
            guard let answer = try? httpGet(port: node.port, "/healthz"), answer.status == 503 else { return nil }
            return answer.body
        }
        #expect(degraded?.contains("no answer to this node's heartbeat") == true, "\(degraded ?? "no 503")\n\(node.log.suffix(2000))")
        print("a frozen database noticed after \(String(format: "%.1f", Date().timeIntervalSince(frozen))) s")
        #expect(node.waitForLog("could not be confirmed in time", seconds: 10))
        try server.signalServer(SIGCONT)
        #expect(waitFor(seconds: 45) { (try? httpGet(port: node.port, "/healthz"))?.status == 200 ? true : nil } == true,
                "\(node.log.suffix(2000))")
    }

    @Test(.timeLimit(.minutes(3))) func aPluginAddedOnOneNodeIsStreamedByEveryNode() throws {
        let cluster = try TestCluster(nodes: 3, plugins: plugins(3, schedule: "200ms"))
        defer { cluster.stopAll() }
        try #require(cluster.settled(names(3), most: 3) != nil)
        try cluster.folders[2].write("q.lua", nodeCounterPlugin(schedule: "200ms"))
        try cluster.node(2).send(signal: SIGHUP)
        let leaders = cluster.settled(names(3).union(["q"]), most: 3, seconds: 40)
        let node2 = try cluster.node(2)
        let seen = (try? httpGet(port: node2.port, "/cluster").body) ?? "no answer"
        #expect(leaders?["q"] == "node2", "only node2 has q; its /cluster: \(seen)\n\(node2.log.suffix(4000))")
        let streamed = waitFor(seconds: 15) { () -> SSEEvent? in
            guard let (connection, _) = try? TestConnection.stream(port: try cluster.node(0).port, "/events/q") else { return nil }
            return connection.events(1, seconds: 2).first
        }
        #expect(streamed?.event == "q", "node0 streams q")
        // A file that differs from its leader's is shown and logged.
        let plugins = try JSONSerialization.jsonObject(with: Data(try httpGet(port: try cluster.node(2).port, "/plugins").body.utf8)) as? [[String: Any]]
        let entry = plugins?.first { $0["name"] as? String == "q" }
        #expect(entry?["node"] as? String == "node2")
        #expect((entry?["hash"] as? String)?.count == 16)
        let other = try #require(leaders?.first { $0.key != "q" && $0.value != "node1" })
        try cluster.folders[1].write("\(other.key).lua", nodeCounterPlugin(schedule: "300ms"))
        try cluster.node(1).send(signal: SIGHUP)
        #expect(try cluster.node(1).waitForLog("plugins/\(other.key).lua here differs from the file of its leader", seconds: 15))
        let shown = try JSONSerialization.jsonObject(with: Data(try httpGet(port: try cluster.node(1).port, "/plugins").body.utf8)) as? [[String: Any]]
        #expect(shown?.first { $0["name"] as? String == other.key }?["file_differs"] as? Bool == true)
    }

    @Test(.timeLimit(.minutes(3))) func nodesJoiningAndLeavingRebalance() throws {
        let cluster = try TestCluster(nodes: 1, plugins: plugins(9, schedule: "200ms"))
        defer { cluster.stopAll() }
        #expect(cluster.settled(names(9), most: 9) != nil)
        // Two more nodes with the same folder contents.
        let joined = try (1..<3).map { index -> BeaconProcess in
            let folder = try PluginFolder()
            for (name, source) in plugins(9, schedule: "200ms") { try folder.write(name, source) }
            return try BeaconProcess(plugins: folder.url, extraArguments: ["--store", cluster.store, "--node-name", "node\(index)"])
        }
        defer { joined.forEach { $0.stop() } }
        let spread = waitFor(seconds: 20) { () -> [String: Int]? in
            guard let leaders = try? cluster.leaders(seenBy: 0), Set(leaders.keys) == names(9) else { return nil }
            let counts = Dictionary(grouping: leaders.values, by: { $0 }).mapValues(\.count)
            return counts.count == 3 && counts.values.allSatisfy({ $0 <= 3 + 2 }) ? counts : nil
        }
        #expect(spread != nil, "three nodes share nine plugins")
        joined[0].stop()
        let after = waitFor(seconds: 20) { () -> [String: Int]? in
            guard let leaders = try? cluster.leaders(seenBy: 0), Set(leaders.keys) == names(9) else { return nil }
            let counts = Dictionary(grouping: leaders.values, by: { $0 }).mapValues(\.count)
            return counts["node1"] == nil && counts.values.allSatisfy({ $0 <= 5 + 2 }) ? counts : nil
        }
        #expect(after != nil, "the two left lead all nine")
    }

    @Test func aBadStoreURLAWrongPasswordAndAMissingDatabaseStopTheStart() throws {
        let url = try #require(TestPostgres.adminURL)
        let folder = try PluginFolder()
        defer { folder.delete() }
        let wrongPassword = url.replacingOccurrences(of: #"://([^:]+):[^@]*@"#, with: "://$1:wrong@", options: .regularExpression)
        let missing = url.replacingOccurrences(of: "/postgres", with: "/no_such_database")
        let cases = [
            (wrongPassword, "refused the login"),
            (missing, "database \"no_such_database\" does not exist"),
            ("postgres://beacon@127.0.0.1:1/beacon", "cannot reach PostgreSQL"),
            (url + "?sslmode=require", "does not offer TLS, which sslmode=require requires"),
        ]
        for (store, message) in cases {
            let result = try BeaconCommand.run(["serve", "--plugins", folder.url.path, "--port", "0", "--store", store])
            let said = result.output + result.errors
            #expect(result.status == 1, "\(store)")
            #expect(said.contains(message), "\(said)")
            #expect(!said.contains(":wrong@"), "the password is not logged")
        }
        // --check-config connects and reads the tables' version, creating nothing.
        let checked = try BeaconCommand.run(["serve", "--plugins", folder.url.path, "--check-config", "--store", missing])
        #expect(checked.status == 1 && checked.errors.contains("database \"no_such_database\" does not exist"), "\(checked.errors)")
        let fresh = try TestPostgres.createDatabase()
        let good = try BeaconCommand.run(["serve", "--plugins", folder.url.path, "--check-config", "--store", fresh])
        #expect(good.status == 0, "\(good.errors)")
        #expect(try TestPostgres.psql(fresh, "SELECT count(*) FROM pg_tables WHERE tablename LIKE 'beacon%'") == "0\n")
        try TestPostgres.psql(fresh, "CREATE TABLE beacon_meta (x integer)")
        let foreign = try BeaconCommand.run(["serve", "--plugins", folder.url.path, "--check-config", "--store", fresh])
        #expect(foreign.status == 1 && foreign.errors.contains("is not a Beacon store's"), "\(foreign.errors)")
        let bad = try BeaconCommand.run(["serve", "--plugins", folder.url.path, "--store", "postgres://nobody/db"])
        #expect(bad.status != 0)
        #expect((bad.output + bad.errors).contains("names no user"), "\(bad.errors)")
    }
}
