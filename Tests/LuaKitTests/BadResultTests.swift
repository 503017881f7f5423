import LuaKit
import Testing

@Suite struct BadResultTests {
    func badResult(_ body: String, limits: LuaLimits = LuaLimits()) throws -> String? {
        let error = try callError("function check_status() \(body) end", limits: limits)
        #expect(error?.kind == .badResult, "\(String(describing: error))")
        return error?.message
    }

    @Test func function() throws {
        #expect(try badResult("return {checks = {1, print}}") == "result.checks[2]: cannot encode a function as JSON")
    }

    @Test func coroutine() throws {
        #expect(try badResult("return {co = coroutine.create(print)}") == "result.co: cannot encode a thread (coroutine) as JSON")
    }

    @Test func userdata() throws {
        #expect(try badResult("return io.open('/dev/null')")?.contains("userdata") == true)
    }

    @Test func cycle() throws {
        #expect(try badResult("local t = {} t.self = t return t") == "result.self: cyclic table (it contains itself)")
        #expect(try badResult("local t = {} t[1] = {t} return t")?.contains("cyclic table") == true)
    }

    @Test func sharedTableIsNotACycle() throws {
        #expect(try encoded("(function() local s = {1} return {a = s, b = s} end)()") == #"{"a":[1],"b":[1]}"#)
    }

    @Test func nanAndInfinity() throws {
        #expect(try badResult("return {x = 0/0}") == "result.x: cannot encode NaN as JSON")
        #expect(try badResult("return {x = math.huge}") == "result.x: cannot encode inf as JSON")
        #expect(try badResult("return {-math.huge}") == "result[1]: cannot encode -inf as JSON")
    }

    @Test func tooLarge() throws {
        let message = try badResult("return {blob = ('x'):rep(10 * 1024 * 1024)}")
        #expect(message?.hasPrefix("result is at least") == true)
        #expect(message?.hasSuffix("bytes; the limit is 65536") == true)
        let many = try badResult("local t = {} for i = 1, 100000 do t[i] = i end return t")
        #expect(many?.hasSuffix("the limit is 65536") == true)
        _ = try badResult("return ('x'):rep(100)", limits: LuaLimits(maxResultBytes: 64))
    }

    /// The limit holds to the byte: also for the closing brackets after the last item and for a
    /// result that is one number (both once slipped past it).
    @Test func limitCountsClosingBracketsAndScalars() throws {
        let nested = "local t = {} for i = 1, 42 do t = {t} end return t"
        _ = try badResult(nested, limits: LuaLimits(maxResultBytes: 83))
        #expect(try callError("function check_status() \(nested) end", limits: LuaLimits(maxResultBytes: 86)) == nil)
        _ = try badResult("return math.mininteger", limits: LuaLimits(maxResultBytes: 16))
    }

    @Test func mixedKeys() throws {
        #expect(try badResult("return {1, 2, x = 3}") == "result: table mixes array items and named keys; use either a list {a, b} or named fields {x = 1}")
    }

    @Test func sparseAndOddKeys() throws {
        #expect(try badResult("return {[1] = 1, [3] = 3}")?.contains("array has holes") == true)
        #expect(try badResult("return {[0] = 1}")?.contains("integer key 0") == true)
        #expect(try badResult("return {[1.5] = 1}")?.contains("1.5") == true)
        #expect(try badResult("return {[true] = 1}")?.contains("boolean key") == true)
        #expect(try badResult("return {x = {[{}] = 1}}")?.hasPrefix("result.x: table has a table key") == true)
    }

    @Test func nilOrNothing() throws {
        #expect(try badResult("return nil") == "check_status returned nil")
        #expect(try badResult("") == "check_status returned nil")
    }

    @Test func secondValue() throws {
        let box = try sandbox("function check_status() return {ok = true}, 'all good' end")
        let result = try box.call("check_status", deadline: .after(seconds: 5))
        #expect(String(decoding: result.json, as: UTF8.self) == #"{"ok":true}"#)
        #expect(result.second == .string("all good"))
    }

    @Test func pathNamesOddKeys() throws {
        #expect(try badResult("return {['a b'] = {print}}") == #"result["a b"][1]: cannot encode a function as JSON"#)
    }
}
