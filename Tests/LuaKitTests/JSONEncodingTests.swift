import LuaKit
import Testing

@Suite struct JSONEncodingTests {
    @Test func scalars() throws {
        #expect(try encoded("true") == "true")
        #expect(try encoded("false") == "false")
        #expect(try encoded("3") == "3")
        #expect(try encoded("-42") == "-42")
        #expect(try encoded("math.mininteger") == "-9223372036854775808")
        #expect(try encoded("3.0") == "3.0")
        #expect(try encoded("0.1") == "0.1")
        #expect(try encoded("1e300") == "1e+300")
        #expect(try encoded("1e16") == "1e+16")
        #expect(try encoded("-0.0") == "-0.0")
        #expect(try encoded("-2.5e-10") == "-2.5e-10")
        #expect(try encoded("'hi'") == "\"hi\"")
    }

    @Test func integersAndFloatsStayDistinct() throws {
        #expect(try encoded("{a = 1, b = 1.0, c = 2^53, d = 7 // 2, e = 7 / 2}")
            == #"{"a":1,"b":1.0,"c":9007199254740992.0,"d":3,"e":3.5}"#)
    }

    @Test func arraysAndObjects() throws {
        #expect(try encoded("{1, 2, 3}") == "[1,2,3]")
        #expect(try encoded("{'a', {x = 1}, {}}") == #"["a",{"x":1},{}]"#)
        #expect(try encoded("{}") == "{}")
        #expect(try encoded("{status = 'ok', checks = {{name = 'disk', ok = true}, {name = 'load', ok = false}}}")
            == #"{"checks":[{"name":"disk","ok":true},{"name":"load","ok":false}],"status":"ok"}"#)
        #expect(try encoded("{[1] = 'a', [2] = 'b'}") == #"["a","b"]"#)
    }

    @Test func objectKeysAreSorted() throws {
        #expect(try encoded("{zeta = 1, alpha = 2, mid = 3, Alpha = 4, alphabet = 5}")
            == #"{"Alpha":4,"alpha":2,"alphabet":5,"mid":3,"zeta":1}"#)
    }

    /// A sandbox reuses its encoder's working space from call to call: an encoding that fails
    /// part-way, deep inside nested objects, leaves nothing behind for the next one.
    @Test func consecutiveCallsShareNothingButSpace() throws {
        let box = try sandbox("""
            n = 0
            function check_status()
              n = n + 1
              if n % 2 == 0 then
                local t = {zeta = {b = 1, a = 2}}
                t.zeta.loop = t  -- a cycle, found after keys were collected at two levels
                return t
              end
              return {zeta = {y = n, x = 'x'}, alpha = {n}}
            end
            """)
        for call in 1...6 {
            if call % 2 == 0 {
                #expect(throws: LuaError.self) { try box.call("check_status", deadline: .after(seconds: 5)) }
            } else {
                let result = try box.call("check_status", deadline: .after(seconds: 5))
                #expect(String(decoding: result.json, as: UTF8.self) == #"{"alpha":[\#(call)],"zeta":{"x":"x","y":\#(call)}}"#)
            }
        }
    }

    @Test func escapes() throws {
        #expect(try encoded(#"'a"b\\c\n\t\r\b\f\1\31/'"#) == #""a\"b\\c\n\t\r\b\f\u0001\u001f/""#)
        #expect(try encoded(#"{['we"ird\n'] = 1}"#) == #"{"we\"ird\n":1}"#)
    }

    @Test func validUTF8PassesThrough() throws {
        #expect(try encoded("'héllo ✓ 😀'") == "\"héllo ✓ 😀\"")
        #expect(try encoded(#""\u{10FFFF}""#) == "\"\u{10FFFF}\"")
    }

    @Test(arguments: [
        #""\xff""#, #""abc\xc3""#, #""\xc0\xaf""#, #""\xed\xa0\x80""#, #""\xf4\x90\x80\x80""#,
    ])
    func invalidUTF8IsABadResult(literal: String) throws {
        let error = try callError("function check_status() return {name = \(literal)} end")
        #expect(error?.kind == .badResult)
        #expect(error?.message.hasPrefix("result.name: string is not valid UTF-8") == true)
    }

    @Test func invalidUTF8KeyIsABadResult() throws {
        let error = try callError(#"function check_status() return {["\xff"] = 1} end"#)
        #expect(error?.kind == .badResult)
        #expect(error?.message.contains("not valid UTF-8") == true)
    }

    @Test func metamethodsNeverRun() throws {
        let source = """
        local hidden = setmetatable({}, {__index = function() error("index ran") end,
            __pairs = function() error("pairs ran") end, __len = function() error("len ran") end})
        function check_status() return {hidden, {1, 2}} end
        """
        #expect(try json(source) == "[{},[1,2]]")
    }

    @Test func nestingLimit() throws {
        #expect(try encoded(String(repeating: "{", count: 64) + String(repeating: "}", count: 64)).count == 128)
        let error = try callError("""
        function check_status() local t = {} local r = t for i = 1, 70 do t.x = {} t = t.x end return r end
        """)
        #expect(error?.kind == .badResult)
        #expect(error?.message.contains("nested more than 64 levels") == true)
    }

    @Test func encodesQuicklyEnough() throws {
        let box = try sandbox("""
        function check_status() return {status = "ok", used = 0.42, free = 123456789, mount = "/", fine = true} end
        """)
        let start = LuaDeadline.now()
        for _ in 0..<2000 { _ = try box.call("check_status", deadline: .after(seconds: 5)) }
        let micros = Double(LuaDeadline.now().nanoseconds - start.nanoseconds) / 1000 / 2000
        // The whole call (Lua included) stays far below a millisecond even in debug builds.
        #expect(micros < 500)
    }
}

@Suite struct LuaJSONTests {
    @Test func encodeValues() throws {
        let value = LuaValue.table(array: [], fields: [
            LuaField(key: "a", value: .table(array: [.integer(1), .number(2.5), .nil, .string("x\"")], fields: [])),
            LuaField(key: "b", value: .boolean(false)),
        ])
        #expect(String(decoding: try LuaJSON.encode(value), as: UTF8.self) == #"{"a":[1,2.5,null,"x\""],"b":false}"#)
    }

    @Test func encodeRefusals() {
        #expect(throws: LuaError.self) { try LuaJSON.encode(.number(.nan)) }
        #expect(throws: LuaError.self) { try LuaJSON.encode(.number(.infinity)) }
        #expect(throws: LuaError.self) { try LuaJSON.encode(.function) }
        #expect(throws: LuaError.self) {
            try LuaJSON.encode(.table(array: [.integer(1)], fields: [LuaField(key: "x", value: .nil)]))
        }
        do {
            _ = try LuaJSON.encode(.table(array: [.integer(1), .table(array: [], fields: [LuaField(key: "f", value: .function)])], fields: []))
            Issue.record("expected an error")
        } catch {
            #expect(error.kind == .badResult)
            #expect(error.message == "value[2].f: cannot encode a function as JSON")
        }
    }

    @Test func decodeRoundTrip() throws {
        let text = #"{"a":[1,-2,3.5,1e+300,true,false,null,"\u00e9\ud83d\ude00\n"],"b":{"c":{}},"d":[]}"#
        let value = try LuaJSON.decode(Array(text.utf8))
        #expect(value == .table(array: [], fields: [
            LuaField(key: "a", value: .table(array: [
                .integer(1), .integer(-2), .number(3.5), .number(1e300), .boolean(true), .boolean(false), .nil,
                .string("é😀\n"),
            ], fields: [])),
            LuaField(key: "b", value: .table(array: [], fields: [LuaField(key: "c", value: .table(array: [], fields: []))])),
            LuaField(key: "d", value: .table(array: [], fields: [])),
        ]))
        let again = String(decoding: try LuaJSON.encode(value), as: UTF8.self)
        #expect(again == #"{"a":[1,-2,3.5,1e+300,true,false,null,"é😀\n"],"b":{"c":{}},"d":{}}"#)
    }

    @Test(arguments: ["", "{", "[1,]", "{\"a\" 1}", "01", "1.", "nul", "\"\\x\"", "\"\\ud800\"", "[1] x", "1e999",
                      "\"\u{01}\"", String(repeating: "[", count: 100) + String(repeating: "]", count: 100)])
    func decodeRejects(text: String) {
        #expect(throws: LuaError.self) { try LuaJSON.decode(Array(text.utf8)) }
    }

    @Test func decodeRejectsInvalidUTF8() {
        #expect(throws: LuaError.self) { try LuaJSON.decode([0x22, 0xFF, 0x22]) }
    }

    @Test func bigIntegersBecomeNumbers() throws {
        #expect(try LuaJSON.decode(Array("9223372036854775807".utf8)) == .integer(.max))
        #expect(try LuaJSON.decode(Array("9223372036854775808".utf8)) == .number(9223372036854775808))
    }
}
