import LuaKit
import Testing

extension HostFunctionTests {
    /// Strings that are not UTF-8 cross the boundary unchanged: response bodies and program output
    /// reach Lua as the bytes they were, and request bodies and stdin go out as the bytes Lua had.
    @Suite("bytes that are not UTF-8")
    struct BytesTests {
        @Test("an HTTP body and a program's output arrive unchanged")
        func results() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let response = try #require(await Host.values("http.get", [.string(server.url("/bytes"))]).first)
            #expect(response["body"] == .bytes(TestHTTPServer.notUTF8))
            let output = try #require(await Host.values("exec", [.array(["printf", "\\377\\000A\\303"])]).first)
            #expect(output["stdout"] == .bytes([0xFF, 0x00, 0x41, 0xC3]))
        }

        @Test("a request body and stdin given as bytes are sent unchanged")
        func arguments() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let payload: [UInt8] = [0xFF, 0x00, 0xFE, 0x41]
            let request = LuaValue.table(["method": .string("POST"), "url": .string(server.url("/echo")), "body": .bytes(payload)])
            let response = try #require(await Host.values("http.request", [request]).first)
            #expect(response["body"].bytes == Array("POST ".utf8) + payload)
            let cat = try #require(await Host.values("exec", [.array(["cat"]), .table(["stdin": .bytes(payload)])]).first)
            #expect(cat["stdout"] == .bytes(payload))
        }

        @Test("through a Lua script: bodies, output, request bodies and stdin keep every byte")
        func throughLua() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let source = """
                local function hex(s) return (s:gsub(".", function(c) return string.format("%02x", c:byte()) end)) end
                function check_status()
                  local r = assert(beacon.http.get("\(server.url("/bytes"))"))
                  local e = assert(beacon.exec({ "printf", "\\\\377\\\\376\\\\000z" }))
                  local payload = "\\xff\\x00\\xc3("
                  local p = assert(beacon.http.request{ method = "POST", url = "\(server.url("/echo"))", body = payload })
                  local c = assert(beacon.exec({ "cat" }, { stdin = payload }))
                  return {
                    body = hex(r.body), out = hex(e.stdout), posted = hex(p.body), cat = hex(c.stdout),
                    same = c.stdout == payload and p.body == "POST " .. payload,
                  }
                end
                """
            let (json, _) = try LuaScriptTests.check(source)
            #expect(json["body"] as? String == "fffe0041c32880")
            #expect(json["out"] as? String == "fffe007a")
            #expect(json["posted"] as? String == "504f535420ff00c328")
            #expect(json["cat"] as? String == "ff00c328")
            #expect(json["same"] as? Bool == true)
        }
    }
}
