import Foundation
import LuaKit
import Testing

@Suite struct HostFunctionTests {
    var environment: LuaEnvironment {
        LuaEnvironment(hostFunctions: [
            "echo": { call in .values(call.arguments) },
            "http.get": { call in
                guard case .string(let url)? = call.arguments.first else { return .error("http.get: url expected") }
                return .values([.table(array: [], fields: [
                    LuaField(key: "status", value: .integer(200)),
                    LuaField(key: "body", value: .string("hello from \(url)")),
                    LuaField(key: "headers", value: .table(array: [.string("a"), .string("b")], fields: [])),
                ])])
            },
            "fail": { _ in .error("connection refused") },
            "remaining": { call in .values([.boolean(call.deadline.secondsRemaining > 0)]) },
        ])
    }

    @Test func roundTrip() throws {
        #expect(try json("""
        function check_status()
          local a, b, c, d, e = beacon.echo(1, 2.5, "s", {1, 2, k = {true}}, false)
          return {a, b, c, d[1], d[2], d.k[1], e}
        end
        """, environment: environment) == #"[1,2.5,"s",1,2,true,false]"#)
    }

    @Test func argumentsArrive() throws {
        final class Box: @unchecked Sendable { var arguments: [LuaValue] = [] }
        let seen = Box()
        let environment = LuaEnvironment(hostFunctions: ["exec": { call in seen.arguments = call.arguments; return .values([]) }])
        _ = try sandbox("beacon.exec({'ls', '-l', timeout = 5}, 3, nil, 1.5)", environment: environment)
        #expect(seen.arguments == [
            .table(array: [.string("ls"), .string("-l")], fields: [LuaField(key: "timeout", value: .integer(5))]),
            .integer(3), .nil, .number(1.5),
        ])
    }

    @Test func valuesComeBack() throws {
        let box = try sandbox("""
        function check_status()
          local r = beacon.http.get("http://x")
          return {status = r.status, body = r.body, h = r.headers, n = select("#", beacon.echo(nil, 1))}
        end
        """, environment: environment)
        #expect(String(decoding: try box.call("check_status", deadline: .after(seconds: 5)).json, as: UTF8.self)
            == #"{"body":"hello from http://x","h":["a","b"],"n":2,"status":200}"#)
    }

    @Test func errorIsACatchableLuaError() throws {
        #expect(try json("""
        function check_status()
          local ok, e = pcall(beacon.fail)
          local ok2, e2 = pcall(beacon.http.get)
          return {ok, e, ok2, e2}
        end
        """, environment: environment) == #"[false,"connection refused",false,"http.get: url expected"]"#)
        let error = try callError("function check_status()\n  beacon.fail()\nend", environment: environment)
        #expect(error?.message == "test.lua:2: connection refused")
    }

    @Test func cyclicArgumentIsAnError() throws {
        let error = try callError("function check_status() local t = {} t.t = t beacon.echo(t) end", environment: environment)
        #expect(error?.message == "test.lua:1: beacon.echo: argument 1: cyclic table")
    }

    @Test func yieldingAroundHostCalls() throws {
        #expect(try json("""
        function check_status()
          local gen = coroutine.wrap(function()
            local t = beacon.now()
            coroutine.yield(type(t))
            coroutine.yield(beacon.echo("again"))
          end)
          return {gen(), gen()}
        end
        """, environment: environment) == #"["number","again"]"#)
    }

    @Test func yieldAcrossACBoundaryIsAnError() throws {
        #expect(try json("""
        function check_status()
          local co = coroutine.wrap(function()
            print(setmetatable({}, {__tostring = function() coroutine.yield("x") return "s" end}))
          end)
          local ok, e = pcall(co)
          local sorted = pcall(table.sort, {3, 2, 1}, function(a, b) coroutine.yield() return a < b end)
          return {ok, e, sorted}
        end
        """) == #"[false,"attempt to yield across a C-call boundary",false]"#)
    }

    @Test func now() throws {
        let value = try json("function check_status() return beacon.now() end")
        let now = Double(value) ?? 0
        let expected = Date().timeIntervalSince1970
        #expect(abs(now - expected) < 5)
    }

    @Test func jsonFromLua() throws {
        #expect(try json("""
        function check_status()
          local s = beacon.json.encode({b = {1, 2}, a = "x"})
          local v = beacon.json.decode('{"k": [1, 2.5, "z", true, {"n": null}]}')
          local bad, err = beacon.json.decode("{oops")
          local ok, e = pcall(beacon.json.encode, {f = print})
          return {s, v.k[2], v.k[3], v.k[4], bad == nil, err, ok, e}
        end
        """) == #"["{\"a\":\"x\",\"b\":[1,2]}",2.5,"z",true,true,"invalid JSON: expected a string key at offset 1",false,"beacon.json.encode: value.f: cannot encode a function as JSON"]"#)
    }

    @Test func reentrantCallIsRefused() throws {
        final class Holder: @unchecked Sendable { var box: LuaSandbox? }
        let holder = Holder()
        let again: LuaHostFunction = { _ in
            do {
                _ = try holder.box?.call("check_status", deadline: .after(seconds: 1))
                return .values([.string("ran")])
            } catch {
                return .error("\(error)")
            }
        }
        let box = try sandbox("function check_status() return beacon.again() end",
                              environment: LuaEnvironment(hostFunctions: ["again": again]))
        holder.box = box
        defer { holder.box = nil }
        do {
            _ = try box.call("check_status", deadline: .after(seconds: 1))
            Issue.record("expected an error")
        } catch {
            #expect(error.message.contains("already running"))
        }
    }

    @Test func conflictingNamesFailAtCreation() {
        let environment = LuaEnvironment(hostFunctions: ["http": { _ in .values([]) }, "http.get": { _ in .values([]) }])
        #expect(throws: LuaError.self) { try LuaSandbox(limits: LuaLimits(), environment: environment) }
        let invalid = LuaEnvironment(hostFunctions: ["bad name": { _ in .values([]) }])
        #expect(throws: LuaError.self) { try LuaSandbox(limits: LuaLimits(), environment: invalid) }
    }
}
