import Dispatch
import Foundation
import LuaKit
import Synchronization
import Testing

/// Host functions whose answers the test gives by hand, so it sees what waits and when.
final class LaterCalls: Sendable {
    struct Call: Sendable {
        var arguments: [LuaValue]
        var pending: LuaPendingCall
    }

    private let calls = Mutex<[Call]>([])
    private let cancelled = Atomic<Int>(0)

    /// `beacon.later(...)`: answers when the test says so; `beacon.echo_later(x)`: answers x
    /// from another thread after a moment; `beacon.now_value()`: answers at once.
    var environment: LuaEnvironment {
        LuaEnvironment(hostFunctions: [
            "later": { [self] call in
                let pending = LuaPendingCall()
                pending.onCancel { [self] in cancelled.add(1, ordering: .relaxed) }
                calls.withLock { $0.append(Call(arguments: call.arguments, pending: pending)) }
                return .pending(pending)
            },
            "echo_later": { call in
                let pending = LuaPendingCall()
                let seconds = call.arguments.count > 1 ? (call.arguments[1].number ?? 0.01) : 0.01
                DispatchQueue.global().asyncAfter(deadline: .now() + seconds) {
                    pending.succeed([call.arguments.first ?? .nil])
                }
                return .pending(pending)
            },
            "now_value": { _ in .values([.integer(7)]) },
        ])
    }

    var waiting: [Call] { calls.withLock { $0 } }
    var cancellations: Int { cancelled.load(ordering: .relaxed) }

    /// Answers the oldest call not answered yet with `values`.
    func answerNext(_ values: [LuaValue]) {
        let next = calls.withLock { $0.isEmpty ? nil : $0.removeFirst() }
        next?.pending.succeed(values)
    }
}

extension LuaValue {
    fileprivate var number: Double? {
        switch self {
        case .integer(let value): Double(value)
        case .number(let value): value
        default: nil
        }
    }
}

/// Drives a run on this thread until it finishes, answering nothing: for runs that only wait
/// on functions that answer by themselves.
private func finish(_ run: LuaRun, wake: DispatchSemaphore) -> Result<LuaCallResult, LuaError> {
    while true {
        switch run.step() {
        case .finished(let result): return result
        case .sliceEnded: continue
        case .waiting: _ = wake.wait(timeout: .now() + 0.05)
        }
    }
}

private func text(_ result: Result<LuaCallResult, LuaError>) -> String {
    switch result {
    case .success(let value): String(decoding: value.json, as: UTF8.self)
    case .failure(let error): "error: \(error.kind.rawValue): \(error.message)"
    }
}

@Suite("Runs as coroutines")
struct CoroutineRunTests {
    @Test func aHostCallThatAnswersLaterSuspendsTheRunWithoutHoldingTheThread() throws {
        let later = LaterCalls()
        let box = try sandbox("""
        function check_status()
          local a, b = beacon.later("x")
          return {a, b}
        end
        """, environment: later.environment)
        let woken = Atomic<Int>(0)
        let run = try box.start("check_status", deadline: .after(seconds: 5)) { woken.add(1, ordering: .relaxed) }
        guard case .waiting = run.step() else {
            Issue.record("expected the run to wait")
            return
        }
        #expect(later.waiting.count == 1)
        #expect(later.waiting.first?.arguments == [.string("x")])
        later.answerNext([.integer(1), .string("two")])
        #expect(woken.load(ordering: .relaxed) == 1)
        guard case .finished(let result) = run.step() else {
            Issue.record("expected the run to finish")
            return
        }
        #expect(text(result) == #"[1,"two"]"#)
    }

    @Test func pcallAroundAWaitingCallStillWorks() throws {
        let later = LaterCalls()
        let box = try sandbox("""
        function check_status()
          local ok, value = pcall(beacon.echo_later, "inside pcall")
          local ok2, message = pcall(function() return beacon.echo_later(nil) .. "x" end)
          return {ok, value, ok2, (message:gsub("^.-: ", ""))}
        end
        """, environment: later.environment)
        let result = try box.call("check_status", deadline: .after(seconds: 5))
        #expect(String(decoding: result.json, as: UTF8.self) == #"[true,"inside pcall",false,"attempt to concatenate a nil value"]"#)
    }

    @Test func spawnedCallsWaitAtTheSameTimeAndWaitReturnsTheirResultsInOrder() throws {
        let later = LaterCalls()
        let box = try sandbox("""
        function check_status()
          local handles = {}
          for i = 1, 20 do
            handles[i] = beacon.spawn(function(n) local v = beacon.later(n) return v * 10, "extra" end, i)
          end
          local first, extra = beacon.wait(handles[1])
          local a, b, c = beacon.wait(handles[2], handles[3], handles[20])
          return {first, extra, a, b, c}
        end
        """, environment: later.environment)
        let run = try box.start("check_status", deadline: .after(seconds: 5)) {}
        let first = run.step()
        guard case .waiting = first else {
            Issue.record("expected the run to wait, got \(first)")
            return
        }
        // Every branch is waiting at once: the check takes as long as the slowest, not the sum.
        #expect(later.waiting.count == 20)
        for call in later.waiting.reversed() { call.pending.succeed([call.arguments[0]]) }
        guard case .finished(let result) = run.step() else {
            Issue.record("expected the run to finish")
            return
        }
        #expect(text(result) == #"[10,"extra",20,30,200]"#)
    }

    @Test func aFailingBranchRaisesInWaitAndATimingOutBranchTimesTheRunOut() throws {
        let later = LaterCalls()
        let failing = try sandbox("""
        function check_status()
          local bad = beacon.spawn(function() beacon.echo_later(1) error("branch broke") end)
          local good = beacon.spawn(function() return beacon.echo_later("fine") end)
          local ok, message = pcall(beacon.wait, bad)
          local again = pcall(beacon.wait, bad, good)
          return {ok, message, beacon.wait(good), again}
        end
        """, environment: later.environment)
        let result = try failing.call("check_status", deadline: .after(seconds: 5))
        #expect(String(decoding: result.json, as: UTF8.self) == #"[false,"test.lua:2: branch broke","fine",false]"#)

        let spinning = try sandbox("""
        function check_status()
          local h = beacon.spawn(function() while true do end end)
          local w = beacon.spawn(function() return beacon.later() end)
          return beacon.wait(h, w)
        end
        """, environment: later.environment)
        #expect(throws: LuaError.self) { try spinning.call("check_status", deadline: .after(seconds: 0.3)) }
        do {
            _ = try spinning.call("check_status", deadline: .after(seconds: 0.3))
        } catch {
            #expect(error.kind == .timeout)
        }
        // The waiting branch's call was cancelled when the run timed out, both times.
        #expect(later.cancellations == 2)
        // The sandbox is usable after a timed-out run.
        _ = try spinning.run(source: Array("function check_status() return 1 end".utf8), chunkName: "again.lua", deadline: .after(seconds: 1))
        #expect(try spinning.call("check_status", deadline: .after(seconds: 1)).json == Array("1".utf8))
    }

    @Test func aDeadlineWhileWaitingCancelsThePendingCall() throws {
        let later = LaterCalls()
        let box = try sandbox("function check_status() return beacon.later() end", environment: later.environment)
        let started = Date()
        #expect(throws: LuaError.self) { try box.call("check_status", deadline: .after(seconds: 0.2)) }
        #expect(Date().timeIntervalSince(started) < 3)
        #expect(later.cancellations == 1)
        // A late answer to a cancelled call is ignored, and the sandbox is free for the next run.
        later.answerNext([.integer(1)])
        let next = try box.start("check_status", deadline: .after(seconds: 5)) {}
        guard case .waiting = next.step() else {
            Issue.record("the next run should wait for its own call")
            return
        }
        later.answerNext([.integer(2)])
        guard case .finished(let result) = next.step() else {
            Issue.record("the next run should finish")
            return
        }
        #expect(text(result) == "2")
    }

    @Test func callingCoroutineYieldDirectlyIsAClearError() throws {
        let error = try callError("function check_status() coroutine.yield(1) return 1 end")
        #expect(error?.kind == .error)
        #expect(error?.message.contains("coroutine.yield() outside a coroutine of its own") == true)
        let branch = try json("""
        function check_status()
          local h = beacon.spawn(function() coroutine.yield() return 1 end)
          local ok, message = pcall(beacon.wait, h)
          return {ok, message:find("outside a coroutine of its own") ~= nil}
        end
        """)
        #expect(branch == "[false,true]")
    }

    @Test func hostCallsInsideThePluginsOwnCoroutinesWaitWithoutHoldingTheThread() throws {
        let later = LaterCalls()
        let box = try sandbox("""
        function check_status()
          local gen = coroutine.wrap(function()
            coroutine.yield("first")
            local inner = coroutine.wrap(function() coroutine.yield(beacon.later("deep")) end)
            coroutine.yield(inner())
          end)
          local co = coroutine.create(function() return beacon.later("co") end)
          local ok, value = coroutine.resume(co)
          return {gen(), gen(), ok, value, coroutine.status(co)}
        end
        """, environment: later.environment)
        let run = try box.start("check_status", deadline: .after(seconds: 5)) {}
        guard case .waiting = run.step() else {
            Issue.record("expected the run to wait for the call inside the nested coroutine")
            return
        }
        #expect(later.waiting.map(\.arguments) == [[.string("co")]])
        later.answerNext([.string("from co")])
        guard case .waiting = run.step() else {
            Issue.record("expected the run to wait again")
            return
        }
        #expect(later.waiting.map(\.arguments) == [[.string("deep")]])
        later.answerNext([.string("from deep")])
        guard case .finished(let result) = run.step() else {
            Issue.record("expected the run to finish")
            return
        }
        #expect(text(result) == #"["first","from deep",true,"from co","dead"]"#)
    }

    @Test func whereLuaCannotYieldAHostCallWaitsOnTheThread() throws {
        let later = LaterCalls()
        #expect(try json("""
        local value = beacon.echo_later("at load")
        function check_status()
          local t = setmetatable({}, {__index = function(_, k) return beacon.echo_later(k) end})
          local sorted = {3, 1, 2}
          table.sort(sorted, function(a, b) return beacon.echo_later(a) < b end)
          return {value, t.key, sorted}
        end
        """, environment: later.environment) == #"["at load","key",[1,2,3]]"#)
        let error = try callError("""
        function check_status()
          local h = beacon.spawn(function() return beacon.echo_later(1) end)
          table.sort({2, 1}, function(a, b) beacon.wait(h) return a < b end)
          return 1
        end
        """, environment: later.environment)
        #expect(error?.message.contains("beacon.wait cannot wait here") == true)
    }

    @Test func aLongComputationEndsTimeSlicesAndStillFinishes() throws {
        let box = try sandbox("""
        function check_status()
          local t, n = os.clock(), 0
          while os.clock() - t < 0.1 do n = n + 1 end
          return n > 0
        end
        """, limits: LuaLimits(timeSlice: 0.005))
        let run = try box.start("check_status", deadline: .after(seconds: 5)) {}
        var slices = 0
        while true {
            let step = run.step()
            if case .sliceEnded = step {
                slices += 1
                continue
            }
            guard case .finished(let result) = step else {
                Issue.record("a computing run never waits")
                return
            }
            #expect(text(result) == "true")
            break
        }
        #expect(slices >= 2)
    }

    @Test func spawnAndWaitRefuseWhatTheyCannotDo() throws {
        let atLoad = try runError("local h = beacon.spawn(print)")
        #expect(atLoad?.message.contains("beacon.spawn is only available while check_status() runs") == true)
        #expect(try json("""
        kept = nil
        function check_status()
          local ok1, e1 = pcall(beacon.wait)
          local ok2, e2 = pcall(beacon.wait, {})
          local ok3, e3 = pcall(beacon.spawn, 42)
          local me
          me = beacon.spawn(function() beacon.echo_later(0) return pcall(beacon.wait, me) end)
          local selfOk, selfMessage = beacon.wait(me)
          local co = beacon.spawn(function() return coroutine.running() end)
          local thread = beacon.wait(co)
          local ok4, e4 = coroutine.resume(thread)
          return {ok1, ok2, ok3, selfOk, selfMessage:find("its own handle") ~= nil, ok4, e4, tostring(me):find("^beacon handle") ~= nil}
        end
        """, environment: LaterCalls().environment) == #"[false,false,false,false,true,false,"cannot resume a coroutine that Beacon runs",true]"#)
        let box = try sandbox("""
        function check_status()
          if kept then return (pcall(beacon.wait, kept)) end
          kept = beacon.spawn(function() return 1 end)
          return beacon.wait(kept)
        end
        """)
        #expect(try box.call("check_status", deadline: .after(seconds: 1)).json == Array("1".utf8))
        #expect(try box.call("check_status", deadline: .after(seconds: 1)).json == Array("false".utf8))
    }

    @Test func aBranchLeftRunningEndsWithTheRunAndClosesItsVariables() throws {
        let later = LaterCalls()
        let logs = LogRecorder()
        var environment = later.environment
        environment.log = logs.log
        let box = try sandbox("""
        function check_status()
          beacon.spawn(function()
            local guard <close> = setmetatable({}, {__close = function() print("closed") end})
            beacon.later()
          end)
          return "done"
        end
        """, environment: environment)
        let wake = DispatchSemaphore(value: 0)
        let run = try box.start("check_status", deadline: .after(seconds: 5)) { wake.signal() }
        #expect(text(finish(run, wake: wake)) == #""done""#)
        #expect(later.cancellations == 1)
        #expect(logs.entries.map(\.1) == ["closed"])
    }

    @Test func aRunCanBeCancelledWhileWaiting() throws {
        let later = LaterCalls()
        let box = try sandbox("function check_status() return beacon.later() end", environment: later.environment)
        let run = try box.start("check_status", deadline: .after(seconds: 5)) {}
        _ = run.step()
        run.cancel()
        #expect(run.isFinished)
        #expect(later.cancellations == 1)
        let next = try box.start("check_status", deadline: .after(seconds: 5)) {}
        _ = next.step()
        next.cancel()
        #expect(later.cancellations == 2)
    }
}
