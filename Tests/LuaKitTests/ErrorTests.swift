import LuaKit
import Testing

@Suite struct ErrorTests {
    @Test func runtimeErrorNamesChunkAndLine() throws {
        let error = try callError("""
        function check_status()
          local t = nil
          return t.x
        end
        """)
        #expect(error?.kind == .error)
        #expect(error?.message == "test.lua:3: attempt to index a nil value (local 't')")
        #expect(error?.traceback?.contains("test.lua:3") == true)
        #expect(error?.description == "error: test.lua:3: attempt to index a nil value (local 't')")
    }

    @Test func errorWithString() throws {
        let error = try callError("function check_status() error('disk is full') end")
        #expect(error?.message == "test.lua:1: disk is full")
    }

    @Test func errorWithNil() throws {
        let error = try callError("function check_status() error() end")
        #expect(error?.kind == .error)
        #expect(error?.message == "(error object is a nil value)")
    }

    @Test func errorWithTable() throws {
        let error = try callError("function check_status() error({code = 1}) end")
        #expect(error?.message == "(error object is a table value)")
    }

    @Test func errorWithTostring() throws {
        let error = try callError("""
        function check_status() error(setmetatable({}, {__tostring = function() return "custom" end})) end
        """)
        #expect(error?.message == "custom")
    }

    @Test func errorWhoseTostringRaises() throws {
        let error = try callError("""
        function check_status() error(setmetatable({}, {__tostring = function() error("nope") end})) end
        """)
        #expect(error?.kind == .error)
        #expect(error?.message == "(error object is a table value whose __tostring failed)")
        let other = try callError("""
        function check_status() error(setmetatable({}, {__tostring = function() return {} end})) end
        """)
        #expect(other?.message == "(error object is a table value whose __tostring failed)")
    }

    @Test func errorWithNumber() throws {
        let error = try callError("function check_status() error(42) end")
        #expect(error?.message == "42")
    }

    @Test func hugeMessagesAreTruncated() throws {
        let error = try callError("function check_status() error(('x'):rep(5e6)) end")
        #expect(error?.kind == .error)
        #expect(error.map { $0.message.utf8.count < 5000 } == true)
        #expect(error?.message.hasSuffix("… (truncated; 5000012 bytes in all)") == true)
    }

    @Test func syntaxError() throws {
        let error = try runError("function check_status( return 1 end")
        #expect(error?.kind == .syntax)
        #expect(error?.message.hasPrefix("test.lua:1:") == true)
    }

    @Test func topLevelError() throws {
        let error = try runError("local x = 1\nerror('bad config')")
        #expect(error?.kind == .error)
        #expect(error?.message == "test.lua:2: bad config")
    }

    @Test func deepRecursionIsAnError() throws {
        let error = try callError("local function f(n) return 1 + f(n + 1) end function check_status() return f(1) end")
        #expect(error?.kind == .error)
        #expect(error?.message.contains("stack overflow") == true)
        let cstack = try callError("""
        local t = setmetatable({}, {__index = function(t, k) return t[k] end})
        function check_status() return t.x end
        """)
        #expect(cstack?.kind == .error)
    }

    @Test func missingFunction() throws {
        let error = try callError("x = 1")
        #expect(error?.kind == .error)
        #expect(error?.message.contains("global 'check_status' is not a function (it is nil)") == true)
    }

    @Test func stateStaysUsableAfterErrors() throws {
        let box = try sandbox("n = 0 function check_status() n = n + 1 if n == 1 then error('first') end return n end")
        #expect(throws: LuaError.self) { try box.call("check_status", deadline: .after(seconds: 5)) }
        #expect(try box.call("check_status", deadline: .after(seconds: 5)).json == Array("2".utf8))
    }

    @Test func yieldAtTopLevelIsAnError() throws {
        let error = try callError("function check_status() coroutine.yield(1) return 1 end")
        #expect(error?.kind == .error)
        #expect(error?.message.contains("outside a coroutine") == true)
    }

    @Test func closedSandbox() throws {
        let box = try sandbox("function check_status() return 1 end")
        box.close(deadline: .after(seconds: 1))
        box.close(deadline: .after(seconds: 1))
        #expect(throws: LuaError.self) { try box.call("check_status", deadline: .after(seconds: 1)) }
        #expect(box.global("check_status") == .nil)
        #expect(box.memoryInUse == 0)
    }
}
