import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Shutdown, reload storms and a plugins folder that misbehaves.
@Suite struct FaultTests {
    @Test func sigtermSendsDoneToEveryStreamAndExitsZero() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("a.lua", #"schedule = "100ms" function check_status() return 1 end"#)
        try folder.write("slow.lua", #"schedule = "100ms" timeout = "1s" function check_status() local t = os.clock() + 0.3 while os.clock() < t do end return 2 end"#)
        let server = try BeaconProcess(plugins: folder.url, extraArguments: ["--shutdown-timeout", "5"])

        let single = try TestConnection(port: server.port)
        try single.get("/events/a")
        _ = try single.readHead()
        let all = try TestConnection(port: server.port)
        try all.get("/events")
        _ = try all.readHead()
        #expect(single.nextEvent(seconds: 5) != nil && all.nextEvent(seconds: 5) != nil)

        let started = Date()
        let status = server.stop()
        #expect(status == 0, "exit status \(status); log:\n\(server.log)")
        #expect(Date().timeIntervalSince(started) < 10)
        let done = single.nextEvent(seconds: 5) { $0.event == "done" }
        #expect(done?.object?["reason"] as? String == "shutdown")
        #expect(single.nextEvent(seconds: 5) == nil, "nothing after done")
        var doneFor: Set<String> = []
        while let event = all.nextEvent(seconds: 5) {
            if event.event == "done", let plugin = event.object?["plugin"] as? String { doneFor.insert(plugin) }
        }
        #expect(doneFor == ["a", "slow"], "multiplexed stream got done for \(doneFor)")
        #expect(single.streamEnded && all.streamEnded)
    }

    @Test(.timeLimit(.minutes(2))) func aReloadStormLosesNoSubscriberAndEndsMatchingTheFolder() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        for index in 0..<5 {
            try folder.write("p\(index).lua", #"schedule = "20ms" n = 0 function check_status() n = n + 1 return n end"#)
        }
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        let subscribers = try (0..<50).map { index -> TestConnection in
            let connection = try TestConnection(port: server.port)
            try connection.get("/events/p\(index % 3)")
            #expect(try connection.readHead().status == 200)
            return connection
        }
        // 100 SIGHUPs in about a second while p3 and p4 are rewritten, removed and re-added.
        for round in 0..<100 {
            server.send(signal: SIGHUP)
            switch round % 4 {
            case 0: try folder.write("p3.lua", "schedule = \"20ms\" function check_status() return \(round) end")
            case 1: try? folder.remove("p4.lua")
            case 2: try folder.write("p4.lua", #"schedule = "20ms" function check_status() return "back" end"#)
            default: try folder.write("p3.lua", "schedule = \"20ms\"\nfunction check_status( return end")  // broken
            }
            usleep(10_000)
        }
        try folder.write("p3.lua", #"schedule = "20ms" function check_status() return "final" end"#)
        server.send(signal: SIGHUP)

        // Every subscriber of the untouched plugins is still connected, with ids that only grow.
        for connection in subscribers {
            var ids: [UInt64] = []
            while ids.count < 5, let event = connection.nextEvent(seconds: 5) {
                if let id = event.id.flatMap(UInt64.init) { ids.append(id) }
                #expect(event.event != "done", "a subscriber of an untouched plugin got done")
            }
            #expect(ids.count == 5 && ids == ids.sorted() && Set(ids).count == 5, "\(ids)")
        }
        // The final state matches the folder.
        let final = waitFor(seconds: 10) { () -> SSEEvent? in
            guard let c = try? TestConnection(port: server.port), (try? c.get("/events/p3")) != nil,
                  (try? c.readHead())?.status == 200 else { return nil }
            return c.nextEvent(seconds: 2) { $0.data == #""final""# }
        }
        #expect(final != nil, "p3 runs its last version")
        let names = waitFor(seconds: 10) { () -> Set<String>? in
            guard let body = try? httpGet(port: server.port, "/plugins").body,
                  let list = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] else { return nil }
            let names = Set(list.compactMap { $0["name"] as? String })
            return names == ["p0", "p1", "p2", "p3", "p4"] ? names : nil
        }
        #expect(names != nil)
        #expect(server.process.isRunning)
    }

    @Test func anUnreadableOrMissingFolderKeepsTheRunningPlugins() throws {
        let folder = try PluginFolder()
        try folder.write("keep.lua", #"schedule = "50ms" function check_status() return "alive" end"#)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }
        let stream = try TestConnection(port: server.port)
        try stream.get("/events/keep")
        _ = try stream.readHead()
        #expect(stream.nextEvent(seconds: 5)?.data == #""alive""#)

        let moved = folder.url.path + ".moved"
        #expect(rename(folder.url.path, moved) == 0)
        defer { try? FileManager.default.removeItem(atPath: moved) }
        server.send(signal: SIGHUP)
        #expect(server.waitForLog("running plugins are kept"), "\(server.log)")
        for _ in 0..<3 { #expect(stream.nextEvent(seconds: 3)?.data == #""alive""#) }
        #expect(!stream.streamEnded)
    }

    @Test func symlinksAreFollowedAndOtherFilesIgnored() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        let elsewhere = try PluginFolder()
        defer { elsewhere.delete() }
        try elsewhere.write("real.lua", #"schedule = "1h" function check_status() return "via link" end"#)
        #expect(symlink(elsewhere.url.appendingPathComponent("real.lua").path, folder.url.appendingPathComponent("linked.lua").path) == 0)
        #expect(symlink("/nonexistent/x.lua", folder.url.appendingPathComponent("dangling.lua").path) == 0)
        #expect(mkfifo(folder.url.appendingPathComponent("fifo.lua").path, 0o600) == 0)
        try FileManager.default.createDirectory(at: folder.url.appendingPathComponent("dir.lua"), withIntermediateDirectories: true)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        let stream = try TestConnection(port: server.port)
        try stream.get("/events/linked")
        #expect(try stream.readHead().status == 200)
        #expect(stream.nextEvent(seconds: 5)?.data == #""via link""#)
        for name in ["dangling.lua", "fifo.lua", "dir.lua"] {
            #expect(server.log.contains("ignoring \(name)"), "\(name) not reported")
        }
    }
}
