import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `GET /plugins/NAME/history` with and without a store, and a plugin removed and added again.
@Suite struct StoreHistoryTests {
    @Test func historyQueriesAnswerFromMemoryWithoutAStoreAndRefuseBadParameters() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "20ms"))
        let server = try BeaconProcess(plugins: plugins.url, extraArguments: ["--history", "5"])
        defer { server.stop() }
        let (stream, _) = try TestConnection.stream(port: server.port, "/events/a")
        let seen = stream.events(8)
        #expect(seen.count == 8)

        let all = try storedHistory(port: server.port, "/plugins/a/history")
        #expect(all.count == 5, "memory holds the last --history events")
        #expect(all.map(\.id) == all.map(\.id).sorted())
        #expect(all.allSatisfy { $0.event == "a" && abs($0.time - Date().timeIntervalSince1970) < 30 })
        let newest = try storedHistory(port: server.port, "/plugins/a/history?limit=2")
        #expect(newest.count == 2 && newest[0].id < newest[1].id && newest[0].id >= all[3].id, "the newest two")
        let since = try #require(all.last).time
        let range = try storedHistory(port: server.port, "/plugins/a/history?since=\(since)&until=\(since)")
        #expect(!range.isEmpty && range.allSatisfy { $0.time == since })
        let rfc = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: since + 3600))
        #expect(try storedHistory(port: server.port, "/plugins/a/history?since=\(rfc)").isEmpty)

        for bad in ["limit=0", "limit=10001", "limit=x", "since=yesterday", "until=2025-13-01T00:00:00Z", "since=20&until=10"] {
            let response = try httpGet(port: server.port, "/plugins/a/history?\(bad)")
            #expect(response.status == 400, "\(bad)")
            #expect(response.body.contains(#""error":"bad request""#) && response.body.contains("reason"), "\(bad): \(response.body)")
        }
        #expect(try httpGet(port: server.port, "/plugins/nobody/history").status == 404)
    }

    @Test(.timeLimit(.minutes(2))) func aRemovedPluginKeepsItsEventsAndGoesOnWhenAddedAgain() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let store = try StoreFolder()
        defer { store.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "20ms"))
        try plugins.write("keep.lua", counterPlugin(schedule: "1h"))
        let server = try BeaconProcess(plugins: plugins.url, extraArguments: ["--store", "sqlite:\(store.path())"])
        defer { server.stop() }
        let (stream, _) = try TestConnection.stream(port: server.port, "/events/a")
        let before = stream.events(5)
        try plugins.remove("a.lua")
        server.send(signal: SIGHUP)
        // Runs go on until the reload: the last result is the last event before `done`.
        var last = try #require(before.last)
        var ended = false
        while !ended, let event = stream.nextEvent(seconds: 10) {
            if event.event == "done" { ended = true } else { last = event }
        }
        #expect(ended)
        #expect(try httpGet(port: server.port, "/plugins/a").status == 404)
        #expect(try storedHistory(port: server.port, "/plugins/a/history").last?.id == last.numericId,
                "a removed plugin's stored events are still answered")

        // Added again with a check that waits: its latest stored result comes first, then new ids.
        try plugins.write("a.lua", #"schedule = "1h" function check_status() beacon.exec({"sleep", "1"}) return "again" end"#)
        server.send(signal: SIGHUP)
        let back = waitFor(seconds: 10) { () -> TestConnection? in
            guard let (c, _) = try? TestConnection.stream(port: server.port, "/events/a") else { return nil }
            return c
        }
        let again = try #require(back)
        let first = again.events(2, seconds: 10)
        #expect(first.first?.numericId == last.numericId, "its latest from before the removal")
        #expect(first.last?.data == #""again""# && (first.last?.numericId ?? 0) > last.numericId)
        let history = try storedHistory(port: server.port, "/plugins/a/history?limit=10000")
        #expect(history.count >= 6 && history.contains { $0.id == before[0].numericId }, "the stored events are still there")
    }
}
