import Foundation
import Testing

/// A gallery of hostile and sloppy plugins in one server: each is reported, none hurts the
/// server or the healthy plugin beside them.
@Suite struct HostilePluginTests {
    /// Plugins whose runs fail: name, source (after `schedule`/`timeout`), expected kind.
    static let failingRuns: [(String, String, Set<String>)] = [
        ("spin", "function check_status() while true do end end", ["timeout"]),
        // Stack overflow, or the memory cap first: both stop the run cleanly. Growing the stack
        // to the cap takes ~50 ms alone but over 300 ms on a busy machine, so this one gets 5 s.
        ("recurse", "timeout = '5s' local function f(n) return f(n + 1) + 1 end function check_status() return f(1) end",
         ["error", "memory"]),
        ("tablebomb", "timeout = '60s' function check_status() local t = {} while true do t[#t + 1] = ('x'):rep(100000) .. #t end end",
         ["memory"]),
        ("repbomb", "function check_status() return ('x'):rep(1e9) end", ["memory"]),
        ("exits", "function check_status() os.exit(1) end", ["error"]),
        ("tableerror", "function check_status() error({ code = 1 }) end", ["error"]),
        ("emptyerror", "function check_status() error() end", ["error"]),
        ("returnsfunction", "function check_status() return print end", ["bad-result"]),
        ("returnscoroutine", "function check_status() return coroutine.create(print) end", ["bad-result"]),
        ("returnsnil", "function check_status() return nil end", ["bad-result"]),
        ("mixedkeys", "function check_status() return { 1, 2, x = 3 } end", ["bad-result"]),
        // Over --max-event-bytes, or over the 16 MiB cap while building it.
        ("huge", "function check_status() return ('y'):rep(10 * 1024 * 1024) end", ["bad-result", "memory"]),
        ("yields", "function check_status() coroutine.yield(1) end", ["error"]),
        ("swallow", "function check_status() while true do pcall(function() while true do end end) end end",
         ["timeout"]),
        ("loopingindex", "setmetatable(_G, { __index = function(t, k) while true do end end }) "
            + "function check_status() return undefined_global end", ["timeout"]),
        ("badtostring", "function check_status() error(setmetatable({}, { __tostring = function() error('nested') end })) end",
         ["error"]),
        ("sleeper", #"function check_status() local r, e = beacon.exec({ "sleep", "5" }) return r or e end"#, ["timeout"]),
    ]

    /// Plugins that never load: name, whole source, words the error must contain.
    static let failingLoads: [(String, String, String)] = [
        ("syntax", "schedule = '1s' function check_status( end", "syntax.lua:1"),
        ("loadloop", "schedule = '1s' while true do end", "top level"),
        ("nocheck", "schedule = '1s'", "check_status"),
        ("loaderror", "schedule = '1s' error('cannot start')", "cannot start"),
    ]

    @Test(.timeLimit(.minutes(2))) func theServerAndTheHealthyPluginSurviveAll() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        for (name, body, _) in Self.failingRuns {
            try folder.write(name + ".lua", "schedule = '1h' timeout = '300ms' \(body)")
        }
        for (name, source, _) in Self.failingLoads { try folder.write(name + ".lua", source) }
        // Not run-time failures, but they must not hurt: a finalizer that spins, a _G without metatable.
        try folder.write("gcspin.lua", """
            schedule = '100ms'
            function check_status()
              setmetatable({}, { __gc = function() while true do end end })
              collectgarbage()
              return "still here"
            end
            """)
        try folder.write("nometa.lua", "schedule = '100ms' setmetatable(_G, nil) function check_status() return 1 end")
        try folder.write("pairsloop.lua", """
            schedule = '100ms'
            local t = setmetatable({ a = 1 }, { __pairs = function() while true do end end, __index = function() while true do end end })
            function check_status() return t end
            """)
        try folder.write("healthy.lua", #"schedule = "100ms" function check_status() return { t = beacon.now() } end"#)
        let server = try BeaconProcess(plugins: folder.url, extraArguments: ["--plugin-memory", "16", "--load-timeout", "0.5"])
        defer { server.stop() }

        let everything = try TestConnection(port: server.port)
        let names = Self.failingRuns.map(\.0)
        try everything.get("/events?" + names.map { "plugin=\($0)" }.joined(separator: "&"))
        #expect(try everything.readHead().status == 200)
        var kinds: [String: String] = [:]
        let deadline = Date().addingTimeInterval(30)
        while kinds.count < names.count, Date() < deadline {
            guard let event = everything.nextEvent(seconds: deadline.timeIntervalSinceNow) else { break }
            guard event.event == "check-error", let data = event.object, let plugin = data["plugin"] as? String else {
                Issue.record("unexpected event \(event)")
                continue
            }
            kinds[plugin] = data["kind"] as? String
            #expect((data["message"] as? String ?? "").isEmpty == false)
        }
        for (name, _, kind) in Self.failingRuns {
            #expect(kinds[name].map(kind.contains) == true, "\(name): \(kinds[name] ?? "no check-error")")
        }

        // The healthy plugin kept its 100 ms cadence through all of it.
        let healthy = try TestConnection(port: server.port)
        try healthy.get("/events/healthy")
        _ = try healthy.readHead()
        var stamps: [Double] = []
        while stamps.count < 6, let event = healthy.nextEvent(seconds: 3) {
            if let t = event.object?["t"] as? Double { stamps.append(t) }
        }
        #expect(stamps.count == 6, "healthy stalled: \(stamps)")
        for name in ["nometa"] {
            let stream = try TestConnection(port: server.port)
            try stream.get("/events/\(name)")
            _ = try stream.readHead()
            let event = stream.nextEvent(seconds: 5)
            #expect(event?.event == name, "\(name): \(String(describing: event))")
        }
        // A finalizer that spins is stopped by the run's deadline; the plugin's next run works.
        let gc = try TestConnection(port: server.port)
        try gc.get("/events/gcspin")
        _ = try gc.readHead()
        let gcEvent = gc.nextEvent(seconds: 5)
        #expect(gcEvent?.event == "gcspin" || gcEvent?.object?["kind"] as? String == "timeout", "\(String(describing: gcEvent))")
        let pairs = try TestConnection(port: server.port)
        try pairs.get("/events/pairsloop")
        _ = try pairs.readHead()
        #expect(pairs.nextEvent(seconds: 5)?.data == #"{"a":1}"#, "encoding never runs metamethods")

        for (name, _, words) in Self.failingLoads {
            let status = try httpGet(port: server.port, "/plugins/\(name)")
            #expect(status.body.contains("failed") && status.body.contains(words), "\(name): \(status.body)")
        }
        #expect(try httpGet(port: server.port, "/healthz").status == 200)
        #expect(server.process.isRunning)
        // Error messages never leak the host's paths outside the plugins folder.
        #expect(!everything.comments.joined().contains(FileManager.default.currentDirectoryPath))
    }
}

/// Checks that wait cost no thread: hundreds of plugins waiting for slow endpoints at once, on a
/// handful of threads, every tick run.
@Suite struct SlowCheckPoolTests {
    /// 500 plugins whose endpoint answers after 2 s, with `--max-concurrent-checks` at its default.
    /// The schedule leaves 3 s past the answer (room for a busy machine): runs of one plugin never
    /// overlap, so a schedule shorter than the answer would skip ticks by design.
    @Test(.timeLimit(.minutes(2))) func fiveHundredPluginsWaitingForSlowEndpointsRunEveryTick() throws {
        let endpoint = try SlowHTTPServer(delay: 2)
        defer { endpoint.close() }
        let folder = try PluginFolder()
        defer { folder.delete() }
        for index in 0..<500 {
            try folder.write("slow\(index).lua", """
                schedule = "5s"
                timeout = "4.5s"
                function check_status()
                  local r, err = beacon.http.get("http://127.0.0.1:\(endpoint.port)/\(index)")
                  return { status = r and r.status, err = err }
                end
                """)
        }
        let server = try BeaconProcess(
            plugins: folder.url, extraArguments: ["--max-connections-per-host", "1000", "--shutdown-timeout", "0"])
        defer { server.stop() }

        var peakThreads = 0
        var peakRunning = 0
        for _ in 0..<36 {
            #expect(try httpGet(port: server.port, "/healthz").status == 200)
            peakThreads = max(peakThreads, Self.threads(of: server.process.processIdentifier))
            peakRunning = max(peakRunning, Self.plugins(port: server.port).filter { $0["state"] as? String == "running" }.count)
            usleep(300_000)
        }
        let plugins = Self.plugins(port: server.port)
        #expect(plugins.count == 500)
        let skipped = plugins.reduce(0) { $0 + ($1["skipped_ticks"] as? Int ?? 0) }
        let failures = plugins.reduce(0) { $0 + ($1["failures"] as? Int ?? 0) }
        let fewestRuns = plugins.map { $0["runs"] as? Int ?? 0 }.min() ?? 0
        #expect(skipped == 0, "\(skipped) ticks skipped")
        #expect(failures == 0, "\(failures) runs failed")
        #expect(fewestRuns >= 2, "a plugin ran only \(fewestRuns) times in 11 s")
        // Hundreds of checks wait at once, on a few threads: event loops, Dispatch's, the runtime's.
        #expect(peakRunning >= 300, "at most \(peakRunning) checks were in flight together")
        #expect(peakThreads < 30, "peak \(peakThreads) threads for 500 waiting checks")
    }

    private static func plugins(port: Int) -> [[String: Any]] {
        guard let body = try? httpGet(port: port, "/plugins").body,
              let list = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]] else { return [] }
        return list
    }

    private static func threads(of pid: Int32) -> Int {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Threads:") }) else { return 0 }
        return Int(line.split(separator: "\t").last.map(String.init)?.trimmingCharacters(in: .whitespaces) ?? "") ?? 0
    }
}
