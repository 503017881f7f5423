import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Runs that wait for host calls: a timeout, a reload and a shutdown while they wait leave no
/// child process and no descriptor behind.
@Suite struct WaitingRunTests {
    /// Processes whose command line contains `marker` (a unique argument the test gave them).
    static func processes(containing marker: String) -> [Int32] {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc") else { return [] }
        return entries.compactMap { entry -> Int32? in
            guard let pid = Int32(entry),
                  let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return nil }
            let words = data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            return words.contains(marker) ? pid : nil
        }
    }

    /// The process's open descriptors.
    static func descriptors(of pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// A unique number of seconds for `sleep`, so the test finds its own children.
    static func marker() -> String {
        "30.\(UInt32.random(in: 100_000...999_999))"
    }

    @Test func aTimeoutWhileWaitingKillsTheProgramItWaitedFor() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        let marker = Self.marker()
        try folder.write("waits.lua", """
            schedule = "1h"
            timeout = "500ms"
            function check_status() return beacon.exec({ "sleep", "\(marker)" }) end
            """)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }
        let stream = try TestConnection(port: server.port)
        try stream.get("/events/waits")
        _ = try stream.readHead()
        let failure = stream.nextEvent(seconds: 10) { $0.event == "check-error" }
        #expect(failure?.data.contains(#""kind":"timeout""#) == true, "\(String(describing: failure))")
        let gone = waitFor(seconds: 5) { Self.processes(containing: marker).isEmpty ? true : nil }
        #expect(gone == true, "the program outlived the run's timeout")
    }

    @Test func aReloadWhileARunWaitsLetsItFinishAndLeavesNothingBehind() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        let marker = Self.marker()
        let swapMarker = "1.\(UInt32.random(in: 100_000...999_999))"
        try folder.write("swap.lua", """
            schedule = "1h"
            timeout = "10s"
            function check_status()
              local first = beacon.exec({ "sleep", "\(swapMarker)" })
              return { version = 1, code = first and first.code }
            end
            """)
        try folder.write("other.lua", """
            schedule = "1h"
            timeout = "20s"
            function check_status() beacon.exec({ "sleep", "\(marker)" }) return 1 end
            """)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }
        let pid = server.process.processIdentifier
        let stream = try TestConnection(port: server.port)
        try stream.get("/events?plugin=swap&plugin=other")
        _ = try stream.readHead()
        // Both runs are waiting for their programs now.
        let started = waitFor(seconds: 10) {
            Self.processes(containing: marker).isEmpty || Self.processes(containing: swapMarker).isEmpty ? nil : true
        }
        #expect(started == true)
        let baseline = Self.descriptors(of: pid)

        try folder.write("swap.lua", """
            schedule = "1h"
            function check_status() return { version = 2 } end
            """)
        try folder.remove("other.lua")
        server.send(signal: SIGHUP)
        #expect(server.waitForLog("reload done"))

        // The run under way ends on the version it started with; the new version runs next.
        let first = stream.nextEvent(seconds: 10) { $0.event == "swap" }
        let second = stream.nextEvent(seconds: 10) { $0.event == "swap" }
        #expect(first?.data == #"{"code":0,"version":1}"#)
        #expect(second?.data == #"{"version":2}"#)
        // The removed plugin's waiting run was ended with it: its program is gone.
        let gone = waitFor(seconds: 5) { Self.processes(containing: marker).isEmpty ? true : nil }
        #expect(gone == true, "the removed plugin's program is still running")
        let settled = waitFor(seconds: 5) { Self.descriptors(of: pid) <= baseline ? true : nil }
        #expect(settled == true, "descriptors: \(baseline) before, \(Self.descriptors(of: pid)) after")
    }

    @Test func aShutdownWhileRunsWaitEndsThemAndTheirPrograms() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        let marker = Self.marker()
        for index in 0..<20 {
            try folder.write("long\(index).lua", """
                schedule = "1h"
                timeout = "25s"
                function check_status() return beacon.exec({ "sleep", "\(marker)" }) end
                """)
        }
        let server = try BeaconProcess(plugins: folder.url, extraArguments: ["--shutdown-timeout", "1"])
        let all = waitFor(seconds: 10) { Self.processes(containing: marker).count == 20 ? true : nil }
        #expect(all == true, "\(Self.processes(containing: marker).count) programs running")
        let stopping = Date()
        server.send(signal: SIGTERM)
        let exited = waitFor(seconds: 10) { server.process.isRunning ? nil : true }
        #expect(exited == true)
        #expect(Date().timeIntervalSince(stopping) < 8, "the shutdown waited for the runs' own timeouts")
        #expect(server.log.contains("some checks were still running"))
        let gone = waitFor(seconds: 5) { Self.processes(containing: marker).isEmpty ? true : nil }
        #expect(gone == true, "\(Self.processes(containing: marker).count) programs outlived the server")
    }

    @Test func beaconCheckRunsSpawnedFunctionsAsTheServerDoes() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("many.lua", """
            schedule = "1m"
            function check_status()
              local handles = {}
              for i = 1, 5 do
                handles[i] = beacon.spawn(function(n)
                  local r = beacon.exec({ "sh", "-c", "sleep 0.2; echo " .. n })
                  return tonumber((r.stdout:gsub("%s", "")))
                end, i)
              end
              local results = {}
              for i, h in ipairs(handles) do results[i] = beacon.wait(h) end
              return results
            end
            """)
        let result = try BeaconCommand.run(["check", folder.url.appendingPathComponent("many.lua").path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output.contains("data: [1,2,3,4,5]"), "\(result.output)")
    }
}
