import LuaKit
import Testing

extension HostFunctionTests {
    @Suite("beacon.sleep")
    struct SleepTests {
        @Test("answers with no values once the time has passed")
        func sleeps() async throws {
            let start = LuaDeadline.now()
            let pending = try #require(Host.start("sleep", [.number(0.2)]))
            let values = await Host.answer(pending)
            #expect(values == [])
            #expect(-start.secondsRemaining >= 0.2)
        }

        @Test("does not answer early when the run's deadline is sooner; the caller cancels it")
        func outlastsTheRun() async throws {
            let pending = try #require(Host.start("sleep", [.integer(2)], deadline: .after(seconds: 0.1)))
            // Waiting gives up (and cancels) at 0.5 s: past the run's deadline, before the sleep's end.
            #expect(await Host.answer(pending, within: 0.5) == nil)
            #expect(pending.isCancelled)
        }

        @Test("inside pcall, from Lua")
        func fromLua() async throws {
            let source = """
                function check_status()
                  local start = os.clock()
                  local ok, a = pcall(beacon.sleep, 0.05)
                  local bad, err = pcall(beacon.sleep, -1)
                  return { ok = ok, values = select("#", beacon.sleep(0.01)), bad = bad, err = tostring(err) }
                end
                """
            let (json, _) = try LuaScriptTests.check(source)
            #expect(json["ok"] as? Bool == true)
            #expect(json["values"] as? Int == 0)
            #expect(json["bad"] as? Bool == false)
            #expect((json["err"] as? String)?.contains("beacon.sleep: seconds must be a positive number") == true)
        }
    }
}
