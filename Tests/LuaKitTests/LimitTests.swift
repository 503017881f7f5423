import LuaKit
import Testing

@Suite(.timeLimit(.minutes(1))) struct TimeoutTests {
    func expectTimeout(_ source: String, seconds: Double = 0.2) throws {
        let start = LuaDeadline.now()
        let error = try callError(source, seconds: seconds)
        let elapsed = Double(LuaDeadline.now().nanoseconds - start.nanoseconds) / 1e9
        #expect(error?.kind == .timeout, "\(String(describing: error))")
        #expect(elapsed < seconds + 1.0)
    }

    @Test func infiniteLoop() throws {
        try expectTimeout("function check_status() while true do end end")
        let error = try callError("function check_status()\n  while true do end\nend", seconds: 0.05)
        #expect(error?.message == "test.lua:2: timed out: check_status() did not finish before its deadline")
    }

    @Test func pcallCannotSwallowIt() throws {
        try expectTimeout("function check_status() while true do pcall(function() while true do end end) end end")
        try expectTimeout("""
        function check_status()
          while true do
            local ok, e = pcall(function() while true do end end)
            local ok2 = xpcall(function() error(e) end, function(m) return m end)
          end
        end
        """)
    }

    @Test func caughtAndRethrownAsStringIsStillATimeout() throws {
        try expectTimeout("""
        function check_status()
          local ok, e = pcall(function() while true do end end)
          error("wrapped: " .. tostring(e))
        end
        """)
    }

    @Test func caughtInCoroutineAndReturnedIsStillATimeout() throws {
        try expectTimeout("""
        function check_status()
          local ok = coroutine.resume(coroutine.create(function() while true do end end))
          return {ok = ok}
        end
        """)
    }

    @Test func coroutineCreatedAtLoadTime() throws {
        try expectTimeout("""
        local co = coroutine.wrap(function() while true do end end)
        function check_status() co() end
        """)
    }

    @Test func spinningIndexMetamethodOnGlobals() throws {
        try expectTimeout("""
        setmetatable(_G, {__index = function() while true do end end})
        function check_status() return undefined_global end
        """)
    }

    @Test func spinningTostringInErrorHandler() throws {
        try expectTimeout("""
        function check_status() error(setmetatable({}, {__tostring = function() while true do end end})) end
        """)
    }

    @Test func topLevelChunk() throws {
        let error = try runError("while true do end", seconds: 0.1)
        #expect(error?.kind == .timeout)
        #expect(error?.message.hasPrefix("test.lua:1: timed out: loading test.lua") == true)
    }

    @Test func nextCallRunsNormally() throws {
        let box = try sandbox("""
        n = 0
        function check_status() n = n + 1 if n == 1 then while true do end end return n end
        """)
        #expect(throws: LuaError.self) { try box.call("check_status", deadline: .after(seconds: 0.05)) }
        let result = try box.call("check_status", deadline: .after(seconds: 5))
        #expect(result.json == Array("2".utf8))
    }

    @Test func spinningFinalizerIsCutAtClose() throws {
        let log = LogRecorder()
        let box = try sandbox("""
        setmetatable({}, {__gc = function() while true do end end})
        function check_status() return 1 end
        """, environment: LuaEnvironment(log: log.log))
        let start = LuaDeadline.now()
        box.close(deadline: .after(seconds: 0.1))
        #expect(Double(LuaDeadline.now().nanoseconds - start.nanoseconds) / 1e9 < 2)
        #expect(box.memoryInUse == 0)
        #expect(log.entries.contains { $0.0 == .warning && $0.1.contains("__gc") })
    }

    @Test func finalizerReplacedAfterSetmetatableIsCutToo() throws {
        let box = try sandbox("""
        local mt = {__gc = function() end}
        keep = setmetatable({}, mt)
        mt.__gc = function() while true do end end
        keep = nil
        """)
        let start = LuaDeadline.now()
        box.close(deadline: .after(seconds: 0.1))
        #expect(Double(LuaDeadline.now().nanoseconds - start.nanoseconds) / 1e9 < 2)
    }

    @Test func metatableIsUntouched() throws {
        #expect(try encoded("""
        (function()
          local function gc() end
          local mt = {__gc = gc, __index = {x = 1}}
          local t = setmetatable({}, mt)
          return {getmetatable(t) == mt, rawget(mt, "__gc") == gc, t.x, setmetatable({}, nil) ~= nil}
        end)()
        """) == "[true,true,1,true]")
    }

    @Test func spinningFinalizerDuringACall() throws {
        try expectTimeout("""
        function check_status()
          setmetatable({}, {__gc = function() while true do end end})
          collectgarbage()
          return 1
        end
        """)
    }

    @Test func finalizersStillRun() throws {
        let log = LogRecorder()
        let box = try sandbox("""
        local mt = {__gc = function(o) print("finalized " .. o.name) end}
        setmetatable({name = "a"}, mt)
        local b = setmetatable({name = "b"}, mt)
        setmetatable(b, mt)
        """, environment: LuaEnvironment(log: log.log))
        box.close(deadline: .after(seconds: 1))
        #expect(log.entries.map(\.1).sorted() == ["finalized a", "finalized b"])
    }
}

@Suite(.timeLimit(.minutes(1))) struct MemoryTests {
    let limits = LuaLimits(memoryBytes: 8 << 20)

    @Test func growingTable() throws {
        let box = try sandbox("""
        function check_status() local t = {} while true do t[#t + 1] = ("x"):rep(1000) end end
        function ok() return {fine = true} end
        """, limits: limits)
        do {
            _ = try box.call("check_status", deadline: .after(seconds: 10))
            Issue.record("expected a memory error")
        } catch {
            #expect(error.kind == .memory, "\(error)")
        }
        #expect(box.memoryInUse <= 8 << 20)
        #expect(try box.call("ok", deadline: .after(seconds: 5)).json == Array(#"{"fine":true}"#.utf8))
    }

    @Test func hugeString() throws {
        let box = try sandbox("""
        function check_status() return ("x"):rep(1e9) end
        function ok() return 1 end
        """, limits: limits)
        #expect(throws: LuaError(kind: .memory, message: "out of memory: check_status() went over the sandbox limit of 8388608 bytes")) {
            try box.call("check_status", deadline: .after(seconds: 10))
        }
        #expect(try box.call("ok", deadline: .after(seconds: 5)).json == Array("1".utf8))
    }

    @Test func caughtMemoryErrorRethrown() throws {
        let error = try callError("""
        function check_status() local ok, e = pcall(string.rep, "x", 1e9) error(e, 0) end
        """, limits: limits)
        #expect(error?.kind == .memory)
    }

    @Test func defaultLimitStopsABomb() throws {
        // A deadline far off, so that only the memory limit can stop it even on a busy machine.
        let error = try callError("function check_status() local t = {} while true do t[#t + 1] = ('x'):rep(1000) end end", seconds: 120)
        #expect(error?.kind == .memory)
    }

    @Test func tooSmallToStart() {
        #expect(throws: LuaError.self) { try LuaSandbox(limits: LuaLimits(memoryBytes: 4096), environment: LuaEnvironment()) }
    }

    @Test func memoryInUseIsCounted() throws {
        let box = try sandbox("big = ('x'):rep(1 << 20)")
        #expect(box.memoryInUse > 1 << 20)
    }
}

@Suite struct DeadlineTests {
    @Test func ordering() {
        let now = LuaDeadline.now()
        let later = LuaDeadline.after(seconds: 1)
        #expect(now < later)
        #expect(later < .never)
        #expect(LuaDeadline.never.nanoseconds == UInt64.max)
        #expect(later.secondsRemaining > 0.5 && later.secondsRemaining <= 1)
        #expect(LuaDeadline.after(seconds: -1).secondsRemaining <= 0)
        #expect(LuaDeadline.after(seconds: .infinity) == .never)
        #expect(LuaDeadline.after(seconds: .nan).secondsRemaining <= 0)
    }

    @Test func hostFunctionsSeeTheDeadline() throws {
        let remaining: LuaHostFunction = { call in .values([.number(call.deadline.secondsRemaining)]) }
        let box = try sandbox("function check_status() return beacon.remaining() end",
                              environment: LuaEnvironment(hostFunctions: ["remaining": remaining]))
        let seconds = Double(String(decoding: try box.call("check_status", deadline: .after(seconds: 3)).json, as: UTF8.self))
        #expect(seconds.map { $0 > 2 && $0 <= 3 } == true)
    }
}
