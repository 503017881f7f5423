import LuaKit
import Testing

/// `beacon.status(level [, summary])`: the level becomes part of the run's result.
@Suite struct StatusTests {
    /// The status a run of `body` (the inside of check_status, which must return) left.
    private func status(_ body: String, environment: LuaEnvironment = LuaEnvironment()) throws -> StatusReport? {
        let box = try sandbox("function check_status() \(body) end", environment: environment)
        return try box.call("check_status", deadline: .after(seconds: 5)).status
    }

    @Test(arguments: StatusLevel.allCases)
    func eachLevelIsKeptWithItsSummary(level: StatusLevel) throws {
        #expect(try status("beacon.status('\(level.rawValue)', '93% used') return 1")
            == StatusReport(level: level, summary: "93% used"))
    }

    @Test func noCallNoLevelAndTheLastCallWins() throws {
        #expect(try status("return 1") == nil)
        #expect(try status("beacon.status('critical', 'a') beacon.status('ok') return 1") == StatusReport(level: .ok))
    }

    @Test func aRunStartsWithoutTheLevelOfTheRunBefore() throws {
        let box = try sandbox("""
            n = 0
            function check_status() n = n + 1 if n == 1 then beacon.status('warning') end return n end
            """)
        #expect(try box.call("check_status", deadline: .after(seconds: 5)).status == StatusReport(level: .warning))
        #expect(try box.call("check_status", deadline: .after(seconds: 5)).status == nil)
    }

    @Test func aBadLevelRaisesAnErrorNamingTheAllowedOnes() throws {
        for call in ["beacon.status('OK')", "beacon.status('down')", "beacon.status()", "beacon.status(2)"] {
            let error = try #require(try callError("function check_status() \(call) return 1 end"), "\(call)")
            #expect(error.kind == .error)
            #expect(error.message.contains(#"the level must be "ok", "warning", "critical" or "unknown""#), "\(error.message)")
            #expect(error.message.hasPrefix("test.lua:1:"), "\(error.message)")
        }
        let summary = try #require(try callError("function check_status() beacon.status('ok', {}) return 1 end"))
        #expect(summary.message.contains("the summary must be a string, got table"), "\(summary.message)")
    }

    @Test func pcallCatchesABadLevelAndTheLevelStaysAsItWas() throws {
        let box = try sandbox("""
            function check_status()
              beacon.status('warning', 'slow')
              local ok, message = pcall(beacon.status, 'fine')
              return { ok = ok, message = message }
            end
            """)
        let result = try box.call("check_status", deadline: .after(seconds: 5))
        #expect(result.status == StatusReport(level: .warning, summary: "slow"))
        let text = String(decoding: result.json, as: UTF8.self)
        #expect(text.contains(#""ok":false"#) && text.contains(#"got \"fine\""#), "\(text)")
    }

    @Test func aSummaryOver200CharactersIsCut() throws {
        let long = try #require(try status("beacon.status('ok', string.rep('é', 250)) return 1")?.summary)
        #expect(long.count == 200)
        #expect(long == String(repeating: "é", count: 199) + "…")
        let exact = try #require(try status("beacon.status('ok', string.rep('x', 200)) return 1")?.summary)
        #expect(exact == String(repeating: "x", count: 200))
    }

    @Test func aSpawnedFunctionSetsTheLevelOfItsRun() throws {
        #expect(try status("beacon.wait(beacon.spawn(beacon.status, 'critical', 'down')) return 1")
            == StatusReport(level: .critical, summary: "down"))
    }

    @Test func onlyDuringARun() throws {
        let error = try #require(try runError("beacon.status('ok')"))
        #expect(error.message.contains("only available while check_status() runs"), "\(error.message)")
    }

    @Test func aFailedRunHasNoResultAndSoNoLevel() throws {
        // The level of a failed run (`unknown`) is the plugin host's rule; LuaKit reports the error.
        let error = try #require(try callError("function check_status() beacon.status('ok') error('boom') end"))
        #expect(error.message.contains("boom"))
    }

    @Test func levelsOrderFromOkToCritical() {
        #expect(StatusLevel.allCases.max() == .critical)
        #expect([StatusLevel.warning, .unknown, .ok].max() == .unknown)
        #expect(StatusLevel.allCases.map(\.code) == [0, 1, 2, 3])
    }
}
