import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP re-reads the folder without dropping subscribers.
@Suite struct ReloadTests {
    @Test func addChangeBreakAndRemoveAPlugin() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("steady.lua", #"schedule = "1h" function check_status() return "v1" end"#)
        try folder.write("version.lua", #"schedule = "100ms" function check_status() return "one" end"#)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        // steady runs once, within the start spread; an hour passes before its next run.
        let steadyRan = waitFor(seconds: 5) { (try? pluginField(server, "steady", "runs")) as? Int == 1 ? true : nil }
        #expect(steadyRan == true)

        let version = try TestConnection(port: server.port)
        try version.get("/events/version")
        _ = try version.readHead()
        #expect(version.nextEvent(seconds: 5)?.data == #""one""#)

        // Added.
        try folder.write("added.lua", #"schedule = "100ms" function check_status() return { fresh = true } end"#)
        server.send(signal: SIGHUP)
        let added = waitFor(seconds: 10) { () -> SSEEvent? in
            guard let stream = try? TestConnection(port: server.port), (try? stream.get("/events/added")) != nil,
                  let head = try? stream.readHead(), head.status == 200 else { return nil }
            return stream.nextEvent(seconds: 3)
        }
        #expect(added?.event == "added" && added?.data == #"{"fresh":true}"#)

        // Changed: the same connection sees the new output.
        try folder.write("version.lua", #"schedule = "100ms" function check_status() return "two" end"#)
        server.send(signal: SIGHUP)
        #expect(version.nextEvent(seconds: 10) { $0.data == #""two""# } != nil, "subscriber stays and sees v2")

        // Broken: the old version keeps running, and the error is announced as kind load.
        try folder.write("version.lua", "schedule = \"100ms\"\nfunction check_status( return end\n")
        server.send(signal: SIGHUP)
        let loadError = version.nextEvent(seconds: 10) { $0.event == "check-error" }
        let loadData = try #require(loadError?.object)
        #expect(loadData["kind"] as? String == "load")
        #expect((loadData["message"] as? String)?.contains("version.lua:2") == true, "\(loadData)")
        #expect(version.nextEvent(seconds: 5)?.data == #""two""#, "the previous version still runs")

        // Removed: done, then the stream ends.
        try folder.remove("version.lua")
        server.send(signal: SIGHUP)
        let done = version.nextEvent(seconds: 10) { $0.event == "done" }
        let doneData = try #require(done?.object)
        #expect(doneData["plugin"] as? String == "version" && doneData["reason"] as? String == "removed")
        #expect(version.nextEvent(seconds: 5) == nil && version.streamEnded, "the stream ends after done")
        #expect(try httpGet(port: server.port, "/events/version").status == 404)
        // Unchanged files keep their state and timers: no reload re-ran steady.
        #expect(try pluginField(server, "steady", "runs") as? Int == 1)
        #expect(server.log.contains("reload done"))
    }

    private func pluginField(_ server: BeaconProcess, _ name: String, _ field: String) throws -> Any? {
        let response = try httpGet(port: server.port, "/plugins/\(name)")
        let object = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
        return object?[field]
    }
}
