import Foundation
import Logging
import LuaKit
import Synchronization
import Testing

@testable import PluginHost

/// The scheduler's own threads, driven directly with real plugins.
@Suite struct CheckSchedulerTests {
    private func runner(_ name: String, in folder: TempFolder, scheduler: CheckScheduler, sink: RecordingSink) throws
        -> PluginRunner {
        let source = #"schedule = "1m" n = 0 function check_status() n = n + 1 return n end"#
        try folder.write("\(name).lua", source)
        let loader = PluginLoader(limits: LuaLimits(memoryBytes: 16 << 20), environment: { _ in LuaEnvironment() }, loadTimeout: 1)
        let plugin = try loader.load(PluginFile(name: name, path: folder.path + "/\(name).lua", contents: Array(source.utf8))).get()
        return PluginRunner(plugin: plugin, sink: sink, scheduler: scheduler, logger: Logger(label: "test"))
    }

    /// When the system refuses a thread, nothing is lost: the refusal is counted and the next
    /// submission asks again, and every run submitted so far still happens.
    @Test func refusedThreadsAreAskedForAgainAndNoRunIsLost() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        let refusalsLeft = Mutex(2)
        let scheduler = CheckScheduler(limit: 2) { name, stackSize, body in
            let refuse = refusalsLeft.withLock { left -> Bool in
                defer { left = max(0, left - 1) }
                return left > 0
            }
            return refuse ? false : DetachedThread.start(name: name, stackSize: stackSize, body)
        }
        defer { scheduler.shutdown() }
        let sink = RecordingSink()
        let names = ["a", "b", "c"]
        let runners = try names.map { try runner($0, in: folder, scheduler: scheduler, sink: sink) }
        let far = DispatchTime.now().uptimeNanoseconds + 60_000_000_000
        for runner in runners { scheduler.submit(runner, staleAfter: far) }
        #expect(scheduler.threadRefusals.load(ordering: .relaxed) >= 1)
        // The first two submissions were refused a thread; the third got one, which runs all three.
        for name in names {
            #expect(sink.wait(for: name, count: 1, seconds: 10).count == 1, "\(name) never ran")
        }
        #expect(scheduler.threadCount <= 2)
    }

    /// Idle threads end after their idle lifetime; the next submission starts one again.
    @Test func idleThreadsEndAndComeBack() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        let scheduler = CheckScheduler(limit: 4, idleLifetime: 0.2)
        defer { scheduler.shutdown() }
        let sink = RecordingSink()
        let runner = try runner("p", in: folder, scheduler: scheduler, sink: sink)
        let far = DispatchTime.now().uptimeNanoseconds + 60_000_000_000
        scheduler.submit(runner, staleAfter: far)
        #expect(sink.wait(for: "p", count: 1).count == 1)
        let deadline = Date().addingTimeInterval(10)
        while scheduler.threadCount > 0, Date() < deadline { usleep(20_000) }
        #expect(scheduler.threadCount == 0, "an idle thread outlived its lifetime")
        scheduler.submit(runner, staleAfter: far)
        #expect(sink.wait(for: "p", count: 2).count == 2, "no thread came back for the next run")
    }
}
