import Foundation
import Testing

/// The core promise: plugins' results arrive as named events with ids, at their cadence.
@Suite struct StreamingTests {
    @Test func eventsArriveNamedWithIdsAndDataAtTheirCadence() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("counter.lua", """
            schedule = "100ms"
            n = 0
            function check_status()
              n = n + 1
              return { n = n, half = n / 2, label = "tick" }
            end
            """)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        let stream = try TestConnection(port: server.port)
        try stream.get("/events/counter")
        let head = try stream.readHead()
        #expect(head.status == 200)
        #expect(head.headers["content-type"]?.hasPrefix("text/event-stream") == true)
        #expect(head.headers["cache-control"] == "no-cache")
        #expect(head.headers["x-accel-buffering"] == "no")

        var events: [SSEEvent] = []
        let started = Date()
        while events.count < 6, let event = stream.nextEvent(seconds: 5) { events.append(event) }
        let elapsed = Date().timeIntervalSince(started)
        #expect(stream.retry == 3000, "the stream starts with retry:")
        try #require(events.count == 6, "got \(events)")
        let counts = events.compactMap { $0.object?["n"] as? Int }
        #expect(counts.count == 6)
        // Globals persist between runs: the counter goes up by one each time.
        for (a, b) in zip(counts, counts.dropFirst()) { #expect(b == a + 1, "\(counts)") }
        #expect(events.allSatisfy { $0.event == "counter" })
        let ids = events.compactMap { $0.id.flatMap { UInt64($0) } }
        #expect(ids.count == 6 && ids == ids.sorted() && Set(ids).count == 6, "ids \(ids)")
        // Integers stay integers, floats stay floats.
        #expect(events[1].data.contains("\"n\":\(counts[1])"))
        #expect(events[1].data.contains("\"label\":\"tick\""))
        // Five intervals of 100 ms after the first (latest) event: well under 5 s, more than 0.3 s.
        #expect(elapsed > 0.3 && elapsed < 5, "took \(elapsed) s")
    }

    @Test func aSecondSubscriberGetsTheLatestResultAtOnce() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("slow.lua", """
            schedule = "1h"
            function check_status() return { value = 42 } end
            """)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        let first = try TestConnection(port: server.port)
        try first.get("/events/slow")
        _ = try first.readHead()
        let firstEvent = try #require(first.nextEvent(seconds: 5))
        #expect(firstEvent.data == #"{"value":42}"#)

        // The next run is an hour away, so this can only be the stored latest result.
        let second = try TestConnection(port: server.port)
        try second.get("/events/slow")
        _ = try second.readHead()
        let latest = try #require(second.nextEvent(seconds: 2))
        #expect(latest == firstEvent)
    }

    @Test func anUnknownPluginIsA404WithAJSONBody() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        let response = try httpGet(port: server.port, "/events/nope")
        #expect(response.status == 404)
        #expect(response.headers["content-type"]?.contains("application/json") == true)
        #expect(response.body.contains("nope"))
    }

    @Test func statusEndpointsDescribeThePlugins() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("ok.lua", #"schedule = 0.05 function check_status() return "fine" end"#)
        try folder.write("broken.lua", #"schedule = "10x" function check_status() return 1 end"#)
        try folder.write("notes.txt", "not a plugin")
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        #expect(try httpGet(port: server.port, "/healthz").status == 200)
        let entry = waitFor(seconds: 5) { () -> [String: Any]? in
            guard let response = try? httpGet(port: server.port, "/plugins"),
                  let list = try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [[String: Any]],
                  let ok = list.first(where: { $0["name"] as? String == "ok" }),
                  (ok["runs"] as? Int ?? 0) >= 2 else { return nil }
            return ok
        }
        let ok = try #require(entry, "the ok plugin never reported two runs")
        #expect(ok["schedule"] as? Double == 0.05)
        #expect(ok["timeout"] as? Double == 0.05)
        #expect(ok["last_result"] as? String == "fine")
        for key in ["state", "failures", "skipped_ticks", "last_error", "last_run_at", "last_duration_ms"] {
            #expect(ok.keys.contains(key), "missing \(key)")
        }
        // One plugin's entry adds its recent events, oldest first.
        let one = try httpGet(port: server.port, "/plugins/ok")
        let object = try JSONSerialization.jsonObject(with: Data(one.body.utf8)) as? [String: Any]
        let history = object?["history"] as? [[String: Any]] ?? []
        #expect(history.count >= 2, "\(one.body)")
        #expect(history.allSatisfy { $0["event"] as? String == "ok" && $0["data"] as? String == "fine" })
        let ids = history.compactMap { ($0["id"] as? NSNumber)?.uint64Value }
        #expect(ids == ids.sorted() && ids.count == history.count)
        let broken = try httpGet(port: server.port, "/plugins/broken")
        #expect(broken.status == 200)
        #expect(broken.body.contains("failed") && broken.body.contains("10x"))
        #expect(server.log.contains("notes.txt"), "an ignored file is named in the log")
        #expect(server.log.contains("broken.lua") && server.log.contains("\"10x\""))
    }
}
