import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// A SQLite store across restarts of the real binary: ids go on, latest results come back at
/// once, and a `Last-Event-ID` from before a SIGTERM or a `kill -9` resumes exactly.
@Suite struct StoreResumeTests {
    /// The ids and data of `events` above `id`, for comparing streams.
    private func after(_ id: UInt64, _ events: [SSEEvent], streams: Set<String>? = nil) -> [String] {
        events.filter { $0.numericId > id && (streams?.contains($0.event) ?? true) }.map { "\($0.numericId) \($0.event) \($0.data)" }
    }

    private func shown(_ events: [SSEEvent]) -> [String] { events.map { "\($0.numericId) \($0.event) \($0.data)" } }

    @Test(.timeLimit(.minutes(2))) func resumeAfterSIGTERMIsExactOnPerPluginAndMultiplexedStreams() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let store = try StoreFolder()
        defer { store.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "50ms"))
        try plugins.write("b.lua", counterPlugin(schedule: "70ms"))
        try plugins.write("c.lua", counterPlugin(schedule: "90ms"))
        // A small --history, so the events missed reach back further than memory holds.
        let arguments = ["--store", "sqlite:\(store.path("data/beacon.db"))", "--history", "3"]

        let first = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        let (witness, _) = try TestConnection.stream(port: first.port, "/events")
        let (single, _) = try TestConnection.stream(port: first.port, "/events/a")
        let (pair, _) = try TestConnection.stream(port: first.port, "/events?plugin=a&plugin=b")
        let (all, _) = try TestConnection.stream(port: first.port, "/events")
        let lastSingle = try #require(single.events(3).last).numericId
        let lastPair = try #require(pair.events(4).last).numericId
        let lastAll = try #require(all.events(5).last).numericId
        usleep(600_000)  // many more events, of each plugin, than --history holds
        #expect(first.stop() == 0, "\(first.log)")
        let seen = witness.eventsUntilEnd()
        #expect(seen.count > 20)

        let second = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        defer { second.stop() }
        let cases: [(path: String, last: UInt64, streams: Set<String>?)] = [
            ("/events/a", lastSingle, ["a"]), ("/events?plugin=a&plugin=b", lastPair, ["a", "b"]), ("/events", lastAll, nil),
        ]
        for (path, last, streams) in cases {
            let missed = after(last, seen, streams: streams)
            #expect(missed.count > 3, "\(path): more missed than --history keeps")
            let (resumed, outcome) = try TestConnection.stream(port: second.port, path, lastEventID: String(last))
            #expect(outcome == "resumed", "\(path)")
            let got = resumed.events(missed.count + 2)
            #expect(shown(Array(got.prefix(missed.count))) == missed, "\(path) replays exactly what it missed")
            let live = got.dropFirst(missed.count)
            #expect(live.count == 2, "\(path) goes on live")
            #expect(live.allSatisfy { $0.numericId > seen.last?.numericId ?? 0 && (streams?.contains($0.event) ?? true) })
            #expect(live.map(\.numericId) == live.map(\.numericId).sorted())
        }
    }

    @Test(.timeLimit(.minutes(2))) func resumeAfterKill9ServesTheFlushedPartAndResetsBeyondIt() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let store = try StoreFolder()
        defer { store.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "10ms"))
        let arguments = ["--store", "sqlite:\(store.path())", "--history", "5"]

        let first = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        let (witness, _) = try TestConnection.stream(port: first.port, "/events/a")
        let (client, _) = try TestConnection.stream(port: first.port, "/events/a")
        let last = try #require(client.events(5).last).numericId
        usleep(500_000)  // the client's last event is long committed (batches go out within 50 ms)
        first.send(signal: SIGKILL)
        first.process.waitUntilExit()
        let killedAt = Date().timeIntervalSince1970
        let seen = witness.eventsUntilEnd(seconds: 5)

        let second = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        defer { second.stop() }
        let stored = try storedHistory(port: second.port, "/plugins/a/history?until=\(killedAt)&limit=10000")
        let storedMax = try #require(stored.last).id
        #expect(stored.count > 30 && storedMax > last)
        #expect(seen.filter { $0.numericId <= storedMax }.map(\.numericId) == stored.filter { $0.id >= seen[0].numericId }.map(\.id),
                "the store holds a gap-free prefix of what was sent")

        let missed = after(last, seen).filter { UInt64($0.split(separator: " ")[0]) ?? 0 <= storedMax }
        let (resumed, outcome) = try TestConnection.stream(port: second.port, "/events/a", lastEventID: String(last))
        #expect(outcome == "resumed")
        let got = resumed.events(missed.count + 1)
        #expect(shown(Array(got.prefix(missed.count))) == missed)
        #expect((got.last?.numericId ?? 0) > (seen.last?.numericId ?? .max), "then the new process's events")

        // Ids above what the store holds were lost with the process: reset, with the latest.
        var lost = [storedMax + 1]
        if let newest = seen.last?.numericId, newest > storedMax { lost.append(newest) }
        for id in lost {
            let (reset, outcome) = try TestConnection.stream(port: second.port, "/events/a", lastEventID: String(id))
            #expect(outcome == "reset", "id \(id), store ends at \(storedMax)")
            #expect(reset.events(1).count == 1)
        }
    }

    @Test(.timeLimit(.minutes(2))) func latestResultsAreServedAtOnceAfterARestartBeforeAnyRun() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let store = try StoreFolder()
        defer { store.delete() }
        try plugins.write("a.lua", #"schedule = "50ms" function check_status() return "before restart" end"#)
        try plugins.write("b.lua", counterPlugin(schedule: "50ms"))
        let arguments = ["--store", "sqlite:\(store.path())"]
        let first = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        let (watch, _) = try TestConnection.stream(port: first.port, "/events?plugin=a&plugin=b")
        var seen = watch.events(6)
        #expect(seen.count == 6)
        #expect(first.stop() == 0)
        seen += watch.eventsUntilEnd()
        let latestA = try #require(seen.last { $0.event == "a" })
        let latestB = try #require(seen.last { $0.event == "b" })

        // After the restart the first run of each plugin takes 2 s; subscribers get the stored latest at once.
        let slow = #"schedule = "1h" function check_status() beacon.exec({"sleep", "2"}) return "after restart" end"#
        try plugins.write("a.lua", slow)
        try plugins.write("b.lua", slow)
        let second = try BeaconProcess(plugins: plugins.url, extraArguments: arguments)
        defer { second.stop() }
        let (single, outcome) = try TestConnection.stream(port: second.port, "/events/a")
        #expect(outcome == "none")
        let now = single.events(1, seconds: 1)
        #expect(shown(now) == shown([latestA]), "the stored latest, with its id")
        let (all, _) = try TestConnection.stream(port: second.port, "/events")
        // In id order: whichever plugin published last before the stop comes last.
        #expect(shown(all.events(2, seconds: 1)) == shown([latestA, latestB].sorted { $0.numericId < $1.numericId }))
        let body = try httpGet(port: second.port, "/plugins/a").body
        #expect(body.contains(#""data":"before restart""#), "GET /plugins/a shows it in history: \(body)")
        let fresh = single.events(1, seconds: 10)
        #expect(fresh.first?.data == #""after restart""#)
        #expect((fresh.first?.numericId ?? 0) > latestB.numericId, "ids go on above the stored ones")
    }
}
