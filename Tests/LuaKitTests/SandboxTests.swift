import Foundation
import LuaKit
import Testing

@Suite struct SandboxTests {
    @Test(arguments: [
        ("os.exit(1)", "os.exit is not available in Beacon plugins; return from check_status() or raise an error with error(...)"),
        ("os.execute('ls')", "os.execute is not available in Beacon plugins; use beacon.exec{...}"),
        ("io.popen('ls')", "io.popen is not available in Beacon plugins; use beacon.exec{...}"),
        ("os.remove('x')", "os.remove is not available in Beacon plugins; plugins cannot change files"),
        ("dofile('x.lua')", "dofile is not available in Beacon plugins; use require to load modules from the plugins library folder"),
        ("loadfile('x.lua')", "loadfile is not available in Beacon plugins; use require to load modules from the plugins library folder"),
        ("debug.sethook()", "debug.sethook is not available in Beacon plugins"),
        ("debug.getregistry()", "debug.getregistry is not available in Beacon plugins"),
        ("package.loadlib('x', 'y')", "package.loadlib is not available in Beacon plugins; C modules cannot be loaded; write the module in Lua and put it in the plugins library folder"),
        ("io.write('x')", "io.write is not available in Beacon plugins; use print(...) or beacon.log(level, message)"),
        ("io.open('/tmp/beacon-x', 'w')", "io.open: mode 'w' is not available in Beacon plugins; files can only be opened for reading (\"r\" or \"rb\")"),
    ])
    func removedFunctionsExplainThemselves(call: String, message: String) throws {
        let error = try callError("function check_status()\n  \(call)\nend")
        #expect(error?.kind == .error)
        #expect(error?.message == "test.lua:2: " + message)
    }

    @Test func allowedLibraries() throws {
        #expect(try encoded("""
        {type(os.time()), type(os.clock()), type(os.date("%Y")), type(os.getenv("PATH")), type(debug.traceback()),
         string.format("%d", 3), table.concat({"a", "b"}, ","), math.max(1, 2), utf8.char(233), io.type(42) == nil}
        """) == #"["number","number","string","string","string","3","a,b",2,"é",true]"#)
    }

    @Test func bytecodeIsRejected() throws {
        let error = try callError("""
        function check_status()
          local f, e = load(string.dump(function() return 1 end))
          assert(f == nil)
          local g, e2 = load(string.dump(function() return 1 end), "x", "b")
          assert(g == nil)
          return {e, e2}
        end
        """)
        #expect(error == nil)
        let messages = try json("""
        function check_status()
          local _, e = load(string.dump(function() return 1 end))
          local _, e2 = load(string.dump(function() return 1 end), "x", "b")
          return {e, e2}
        end
        """)
        #expect(messages == #"["attempt to load a binary chunk (mode is 't')","load: only text chunks (mode \"t\") can be loaded in Beacon plugins"]"#)
    }

    @Test func bytecodeSourceIsRejected() throws {
        let box = try LuaSandbox(limits: LuaLimits(), environment: LuaEnvironment())
        var bytecode: [UInt8] = [0x1B, 0x4C, 0x75, 0x61, 0x54, 0x00]
        bytecode += [UInt8](repeating: 0, count: 32)
        #expect(throws: LuaError(kind: .syntax, message: "bin.lua: attempt to load a binary chunk (mode is 't')")) {
            try box.run(source: bytecode, chunkName: "bin.lua", deadline: .after(seconds: 1))
        }
    }

    @Test func loadWithEnvironment() throws {
        #expect(try encoded("load('return x', 'chunk', 't', {x = 5})()") == "5")
        #expect(try encoded("load('return 1 + 1')()") == "2")
    }

    @Test func printReachesTheLog() throws {
        let log = LogRecorder()
        let box = try sandbox("""
        print("hello", 42, nil, true, setmetatable({}, {__tostring = function() return "obj" end}))
        beacon.log("warning", "careful")
        beacon.log("debug", 3)
        """, environment: LuaEnvironment(log: log.log))
        _ = box
        let entries = log.entries
        #expect(entries.count == 3)
        #expect(entries.first?.0 == .info)
        #expect(entries.first?.1 == "hello\t42\tnil\ttrue\tobj")
        #expect(entries.dropFirst().first?.0 == .warning)
        #expect(entries.dropFirst().first?.1 == "careful")
        #expect(entries.last?.0 == .debug)
        #expect(entries.last?.1 == "3")
    }

    @Test func badLogLevel() throws {
        let error = try callError("function check_status() beacon.log('loud', 'x') end")
        #expect(error?.message.contains("unknown level 'loud'") == true)
    }

    @Test func warnReachesTheLog() throws {
        let log = LogRecorder()
        _ = try sandbox("warn('@on') warn('a ', 'b')", environment: LuaEnvironment(log: log.log))
        #expect(log.entries.map(\.1) == ["a b"])
        #expect(log.entries.first?.0 == .warning)
    }

    @Test func globalsPersistAcrossCalls() throws {
        let box = try sandbox("counter = 0 function check_status() counter = counter + 1 return counter end")
        for expected in 1...3 {
            #expect(try box.call("check_status", deadline: .after(seconds: 5)).json == Array("\(expected)".utf8))
        }
        #expect(box.global("counter") == .integer(3))
    }

    @Test func readGlobals() throws {
        let box = try sandbox("""
        schedule = "30s" timeout = 2.5 enabled = true list = {1, "two", {x = 1}}
        mixed = {1, 2, name = "m"} cyclic = {} cyclic.me = cyclic
        function check_status() return 1 end
        setmetatable(_G, {__index = function() error("must not run") end})
        """)
        #expect(box.global("schedule") == .string("30s"))
        #expect(box.global("timeout") == .number(2.5))
        #expect(box.global("enabled") == .boolean(true))
        #expect(box.global("missing") == .nil)
        #expect(box.global("check_status") == .function)
        #expect(box.global("list") == .table(array: [.integer(1), .string("two"), .table(array: [], fields: [LuaField(key: "x", value: .integer(1))])], fields: []))
        #expect(box.global("mixed") == .table(array: [.integer(1), .integer(2)], fields: [LuaField(key: "name", value: .string("m"))]))
        #expect(box.global("cyclic") == .other(typeName: "table"))
    }

    @Test func ioReadsFiles() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("luakit-\(UUID().uuidString).txt").path
        try "line one\nline two\n".write(toFile: path, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(try json("""
        function check_status()
          local f = assert(io.open("\(path)"))
          local first = f:read("l")
          f:close()
          local n = 0
          for _ in io.lines("\(path)") do n = n + 1 end
          local contents = beacon.read_file("\(path)")
          local missing, err = beacon.read_file("/nonexistent/file")
          return {first = first, n = n, size = #contents, missing = missing == nil, err = err}
        end
        """) == #"{"err":"/nonexistent/file: No such file or directory","first":"line one","missing":true,"n":2,"size":18}"#)
    }

    @Test func readFileRefusesDirectories() throws {
        #expect(try json("function check_status() local v, e = beacon.read_file('/') return {v == nil, e} end")
            == #"[true,"/: not a regular file"]"#)
    }

    @Test func ioLinesNeedsAName() throws {
        let error = try callError("function check_status() for l in io.lines() do end end")
        #expect(error?.message.contains("io.lines needs a file name") == true)
    }
}

@Suite struct RequireTests {
    let library: URL

    init() throws {
        library = FileManager.default.temporaryDirectory.appendingPathComponent("luakit-lib-\(UUID().uuidString)/lib")
        try FileManager.default.createDirectory(at: library.appendingPathComponent("util"), withIntermediateDirectories: true)
        try "local M = {} loads = (loads or 0) + 1 function M.double(x) return 2 * x end return M"
            .write(to: library.appendingPathComponent("util/math.lua"), atomically: true, encoding: .utf8)
        try "return {value = 1 +}".write(to: library.appendingPathComponent("broken.lua"), atomically: true, encoding: .utf8)
        try "local x = nil return x.y".write(to: library.appendingPathComponent("failing.lua"), atomically: true, encoding: .utf8)
        try "return 'secret'".write(to: library.deletingLastPathComponent().appendingPathComponent("outside.lua"), atomically: true, encoding: .utf8)
    }

    var environment: LuaEnvironment {
        LuaEnvironment(libraryDirectory: library.path)
    }

    @Test func loadsAndCaches() throws {
        let box = try sandbox("""
        local m = require("util.math")
        function check_status() return {require("util.math").double(21), m == require("util.math"), loads} end
        """, environment: environment)
        #expect(try box.call("check_status", deadline: .after(seconds: 5)).json == Array("[42,true,1]".utf8))
        #expect(try box.call("check_status", deadline: .after(seconds: 5)).json == Array("[42,true,1]".utf8))
    }

    @Test(arguments: ["../outside", "..outside", "/etc/passwd", "util/math", "util..math", ".util", ""])
    func rejectsPaths(name: String) throws {
        let error = try runError("require('\(name)')", environment: environment)
        #expect(error?.kind == .error)
        #expect(error?.message.contains("invalid module name") == true, "\(String(describing: error))")
    }

    @Test func missingModule() throws {
        let error = try runError("require('nope')", environment: environment)
        #expect(error?.message == "test.lua:1: module 'nope' not found: no file lib/nope.lua")
        #expect(error?.message.contains(library.deletingLastPathComponent().path) == false)
    }

    @Test func brokenModules() throws {
        let syntax = try runError("require('broken')", environment: environment)
        #expect(syntax?.message.hasPrefix("test.lua:1: error loading module 'broken': lib/broken.lua:1:") == true)
        let failing = try runError("require('failing')", environment: environment)
        #expect(failing?.message == "lib/failing.lua:1: attempt to index a nil value (local 'x')")
        // Not stuck as "circular" after an error:
        let again = try runError("pcall(require, 'failing') require('failing')", environment: environment)
        #expect(again?.message == "lib/failing.lua:1: attempt to index a nil value (local 'x')")
    }

    @Test func withoutLibraryFolder() throws {
        let error = try runError("require('util.math')")
        #expect(error?.message.contains("require is not available") == true)
        #expect(try runError("local s = require('string') assert(s == string)") == nil)
    }
}
