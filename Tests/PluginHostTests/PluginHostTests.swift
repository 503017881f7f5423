import Dispatch
import Foundation
import Logging
import LuaKit
import PluginHost
import Synchronization
import Testing

/// The host with real Lua and a recording sink: scheduling, isolation and reload rules.
@Suite struct PluginHostTests {
    private func makeHost(
        _ folder: TempFolder, _ sink: RecordingSink, concurrent: Int = 4, spread: Double = 0,
        hostFunctions: [String: LuaHostFunction] = [:]
    ) -> PluginHost {
        PluginHost(
            configuration: PluginHostConfiguration(
                directory: folder.path, maxConcurrentChecks: concurrent, pluginMemoryBytes: 16 << 20, startSpread: spread,
                hostFunctions: hostFunctions),
            sink: sink, logger: Logger(label: "test"))
    }

    /// A check that waits for a host call or computes for long never holds up the runs due at the
    /// same time: waiting costs no thread, and a long computation gives its shared queue to the
    /// others between time slices.
    @Test(arguments: ["beacon.block()", "local t = beacon.now() while beacon.now() - t < 3 do end"])
    func runsDueWithASlowCheckDoNotWaitForIt(slowBody: String) throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        // All due at once (no spread). Plugins start in name order, so the slow ones are queued
        // ahead of the quick ones.
        for index in 0..<3 {
            try folder.write("aslow\(index).lua", """
                schedule = "1m"
                timeout = "10s"
                function check_status() \(slowBody) return "done" end
                """)
            try folder.write("quick\(index).lua", #"schedule = "1m" function check_status() return "ok" end"#)
        }
        let sink = RecordingSink()
        let blocked = Date()
        let host = makeHost(folder, sink, concurrent: 8, hostFunctions: [
            "block": { _ in
                let pending = LuaPendingCall()
                DispatchQueue.global().asyncAfter(deadline: .now() + 3) { pending.succeed([]) }
                return .pending(pending)
            },
        ])
        try host.start()
        defer { host.stop(timeout: 5) }
        for index in 0..<3 {
            let runs = sink.wait(for: "quick\(index)", count: 1, seconds: 2.5)
            #expect(runs.count == 1, "quick\(index) waited behind a slow check")
        }
        #expect(Date().timeIntervalSince(blocked) < 2.9, "the quick checks finished only after the slow ones")
        #expect(sink.published("aslow0").isEmpty, "the slow check was not slow")
    }

    /// `stop` waits for a run in progress up to its timeout and no longer; every plugin is then
    /// removed with the reason given, and a reload asked for afterwards starts nothing again.
    /// The blocked run is let go only by a Dispatch timer started with the stop, so the test's
    /// own task may be resumed late without changing what it sees.
    @Test(arguments: [(1.0, 20.0, true), (20.0, 0.3, false)])
    func stopWaitsForRunsUpToItsTimeout(runSeconds: Double, timeout: Double, finishes: Bool) async throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("slow.lua", """
            schedule = "1h"
            timeout = "300s"
            function check_status() beacon.block() return "done" end
            """)
        try folder.write("quick.lua", #"schedule = "1h" function check_status() return "ok" end"#)
        let sink = RecordingSink()
        let started = DispatchSemaphore(value: 0)
        let blocked = Mutex<LuaPendingCall?>(nil)
        let host = makeHost(folder, sink, hostFunctions: [
            "block": { _ in
                let pending = LuaPendingCall()
                blocked.withLock { $0 = pending }
                started.signal()
                return .pending(pending)
            },
        ])
        try await host.start()
        #expect(sink.wait(for: "quick", count: 1, seconds: 10).count == 1)
        #expect(started.wait(timeout: .now() + 10) == .success)
        let stopping = Date()
        DispatchQueue.global().asyncAfter(deadline: .now() + runSeconds) { blocked.withLock { $0 }?.succeed([]) }
        let finished = await host.stop(timeout: timeout)
        let stopped = Date()
        #expect(finished == finishes)
        // It waited for the run (`finished`) or its whole timeout (not `finished`).
        let waitedFor = finishes ? runSeconds : timeout
        #expect(stopped.timeIntervalSince(stopping) > waitedFor - 0.05, "stop returned after \(stopped.timeIntervalSince(stopping)) s")
        #expect(sink.removed.map(\.0) == ["quick", "slow"])
        #expect(sink.removed.allSatisfy { $0.1 == .shutdown })
        #expect(await host.reload().added.isEmpty)
        #expect(host.pluginNames.isEmpty)
    }

    /// A reload while a run is in progress: the run ends on the version it started with, that
    /// version's Lua state is closed only after the run (its finalizer runs then, not before), and
    /// the next run uses the new version. The finalizer takes 0.3 s: a close left to the state's
    /// `deinit` (0.1 s for finalizers) would cut it, the runner's own close (1 s) does not.
    @Test func aReloadDuringARunClosesTheOldStateOnlyAfterIt() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        let log = Mutex<[String]>([])
        try folder.write("swap.lua", """
            schedule = "1h"
            timeout = "10s"
            keeper = setmetatable({}, { __gc = function()
              local t = beacon.now() while beacon.now() - t < 0.3 do end
              beacon.note("closed v1")
            end })
            function check_status() beacon.note("run v1") beacon.block() return "v1" end
            """)
        let sink = RecordingSink()
        let release = DispatchSemaphore(value: 0)
        let host = makeHost(folder, sink, hostFunctions: [
            "note": { call in
                if case .string(let text)? = call.arguments.first { log.withLock { $0.append(text) } }
                return .values([])
            },
            "block": { _ in
                _ = release.wait(timeout: .now() + 10)
                log.withLock { $0.append("unblocked") }
                return .values([])
            },
        ])
        try host.start()
        defer { host.stop(timeout: 5) }
        let deadline = Date().addingTimeInterval(5)
        while !log.withLock({ $0.contains("run v1") }), Date() < deadline { usleep(5_000) }
        try folder.write("swap.lua", """
            schedule = "1h"
            function check_status() return "v2" end
            """)
        let summary = host.reload()
        #expect(summary.changed == ["swap"], "\(summary)")
        #expect(!log.withLock { $0.contains("closed v1") }, "closed while its run was still going")
        release.signal()

        let results = sink.wait(for: "swap", count: 2, seconds: 5).map(\.json)
        #expect(results == [#""v1""#, #""v2""#])
        let waited = Date().addingTimeInterval(3)
        while !log.withLock({ $0.contains("closed v1") }), Date() < waited { usleep(5_000) }
        #expect(log.withLock { $0 } == ["run v1", "unblocked", "closed v1"])
    }

    /// A host let go of without `stop()` takes its plugins' timers with it: its checks stop.
    @Test func aHostDroppedWithoutStopStopsItsChecks() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("tick.lua", #"schedule = "20ms" function check_status() return {ok = true} end"#)
        let sink = RecordingSink()
        var host: PluginHost? = makeHost(folder, sink)
        try host?.start()
        #expect(sink.wait(for: "tick", count: 3, seconds: 5).count >= 3)
        host = nil
        Thread.sleep(forTimeInterval: 0.3)  // a run already under way may still finish
        let settled = sink.published("tick").count
        Thread.sleep(forTimeInterval: 0.5)
        #expect(sink.published("tick").count == settled, "the dropped host's plugin kept running")
    }

    @Test func aStuckCCallDoesNotHoldUpOtherPlugins() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        // string.find backtracks for ages inside C, where no instruction hook runs.
        try folder.write("regex.lua", #"""
            schedule = "100ms"
            timeout = "100ms"
            function check_status() return (("a"):rep(5e4):find(("a*"):rep(40) .. "b")) end
            """#)
        try folder.write("steady.lua", #"schedule = "50ms" function check_status() return "ok" end"#)
        let sink = RecordingSink()
        // One slot only: the stuck run must give it back for steady to run at all.
        let host = makeHost(folder, sink, concurrent: 1)
        try host.start()
        defer { host.stop(timeout: 0.1) }

        let stuck = sink.wait(for: "regex", count: 1, seconds: 10)
        #expect(stuck.first?.event == "check-error")
        #expect(stuck.first?.json.contains(#""kind":"stuck""#) == true, "\(stuck)")
        let before = sink.published("steady").count
        let after = sink.wait(for: "steady", count: before + 5, seconds: 10).count
        #expect(after >= before + 5, "steady kept running while regex is stuck")
        let status = String(decoding: host.pluginJSON(named: "regex") ?? [], as: UTF8.self)
        #expect(status.contains(#""state":"stuck""#), "\(status)")
    }

    @Test func aPluginThatKeepsTimingOutIsBackedOff() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("spin.lua", #"schedule = "20ms" timeout = "20ms" function check_status() while true do end end"#)
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        try host.start()
        defer { host.stop() }

        let events = sink.wait(for: "spin", count: 4, seconds: 10)
        #expect(events.count >= 4)
        #expect(events.allSatisfy { $0.event == "check-error" && $0.json.contains(#""kind":"timeout""#) })
        let status = String(decoding: host.pluginJSON(named: "spin") ?? [], as: UTF8.self)
        #expect(status.contains("backoff_seconds_left") || status.contains("consecutive_timeouts"), "\(status)")
        // Backed off: far fewer runs than ticks over the next half second.
        let runsBefore = sink.published("spin").count
        usleep(500_000)
        let runsAfter = sink.published("spin").count
        #expect(runsAfter - runsBefore < 10, "\(runsAfter - runsBefore) runs in 0.5 s at a 20 ms schedule")
    }

    @Test func runsOfOnePluginNeverOverlapAndTicksAreSkipped() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        // Each run takes ~50 ms of busy Lua while the timer ticks every 10 ms.
        try folder.write("busy.lua", """
            schedule = "10ms"
            timeout = "1s"
            active = 0
            function check_status()
              active = active + 1
              local overlap = active
              local t = os.clock() + 0.05
              while os.clock() < t do end
              active = active - 1
              return { overlap = overlap }
            end
            """)
        let sink = RecordingSink()
        let host = makeHost(folder, sink)
        try host.start()
        defer { host.stop() }
        let events = sink.wait(for: "busy", count: 5)
        #expect(events.count >= 5)
        #expect(events.allSatisfy { $0.json == #"{"overlap":1}"# }, "\(events.map(\.json))")
        let status = try #require(host.pluginJSON(named: "busy"))
        let object = try JSONSerialization.jsonObject(with: Data(status)) as? [String: Any]
        #expect((object?["skipped_ticks"] as? Int ?? 0) > 0)
    }

    @Test func manyFastPluginsAllRunWithinABoundedPool() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        for index in 0..<200 {
            try folder.write("p\(index).lua", #"schedule = "10ms" n = 0 function check_status() n = n + 1 return n end"#)
        }
        let sink = RecordingSink()
        let host = makeHost(folder, sink, spread: 0.01)
        let summary = try host.start()
        defer { host.stop() }
        #expect(summary.added.count == 200)
        for index in stride(from: 0, to: 200, by: 17) {
            #expect(sink.wait(for: "p\(index)", count: 3).count >= 3, "p\(index) ran")
        }
    }

    @Test func reloadSummaryAndFailedLoadsAreReported() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("a.lua", #"schedule = "1h" function check_status() return 1 end"#)
        try folder.write("noload.lua", "while true do end")
        try folder.write("nofunc.lua", #"schedule = "1s""#)
        try folder.write("README.md", "hello")
        let sink = RecordingSink()
        let host = PluginHost(
            configuration: PluginHostConfiguration(directory: folder.path, loadTimeout: 0.2, startSpread: 0),
            sink: sink, logger: Logger(label: "test"))
        let summary = try host.start()
        defer { host.stop() }
        #expect(summary.added == ["a"])
        #expect(Set(summary.failed.map(\.file)) == ["noload.lua", "nofunc.lua"])
        #expect(summary.failed.first { $0.file == "nofunc.lua" }?.message.contains("check_status") == true)
        #expect(summary.failed.first { $0.file == "noload.lua" }?.kind == .timeout)
        #expect(summary.ignored.map(\.entry) == ["README.md"])

        try FileManager.default.removeItem(atPath: folder.path + "/a.lua")
        try folder.write("b.lua", #"schedule = "1h" function check_status() return 2 end"#)
        let second = host.reload()
        #expect(second.added == ["b"] && second.removed == ["a"])
        #expect(sink.waitForRemoval(of: "a") == .deleted)
    }
}
