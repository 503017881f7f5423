import LuaKit
import Testing

extension HostFunctionTests {
    @Suite("argument checking raises Lua errors")
    struct ArgumentTests {
        @Test("every function is installed")
        func installed() async {
            #expect(Set(Host.functions.keys) == ["http.get", "http.request", "tcp.connect", "exec", "sleep"])
        }

        @Test("wrong types raise with the function's name", arguments: [
            ("exec", [LuaValue.string("echo hi")], "beacon.exec: argv must be an array of strings"),
            ("exec", [.table(array: [.string("echo"), .integer(1)], fields: [])], "beacon.exec: argv must be an array of strings"),
            ("exec", [.array([])], "beacon.exec: argv must be an array of strings"),
            ("exec", [.array(["true"]), .table(["timout": .integer(1)])], "beacon.exec: unknown option 'timout'"),
            ("exec", [.array(["true"]), .table(["timeout": .integer(-1)])], "beacon.exec: timeout must be a positive number of seconds"),
            ("exec", [.array(["true"]), .table(["env": .table(["A": .integer(1)])])], "beacon.exec: env must be a table of strings {NAME=\"value\"}"),
            ("exec", [.array(["true"]), .table(["stdin": .boolean(true)])], "beacon.exec: stdin must be a string"),
            ("http.get", [.integer(1)], "beacon.http.get: url must be a string"),
            ("http.get", [.string("http://x/"), .string("fast")], "beacon.http.get: options must be a table {headers=, timeout=, redirects=, tls=}"),
            ("http.get", [.string("http://x/"), .table(["headers": .table(["Bad Name": .string("v")])])], "beacon.http.get: invalid header 'Bad Name'"),
            ("http.get", [.string("http://x/"), .table(["redirects": .integer(3)])], "beacon.http.get: redirects must be true or false"),
            ("http.request", [.string("http://x/")], "beacon.http.request: expects a table {method=, url=, headers=, body=, timeout=, redirects=, tls=}"),
            ("http.request", [.table(["url": .string("http://x/"), "body": .integer(1)])], "beacon.http.request: body must be a string"),
            ("http.get", [.string("https://x/"), .table(["tls": .boolean(false)])], "beacon.http.get: tls must be a table {verify=, ca_file=}"),
            ("http.get", [.string("https://x/"), .table(["tls": .table(["verfy": .boolean(false)])])], "beacon.http.get: unknown tls option 'verfy'"),
            ("http.get", [.string("https://x/"), .table(["tls": .table(["verify": .string("no")])])], "beacon.http.get: tls.verify must be true or false"),
            ("http.get", [.string("https://x/"), .table(["tls": .table(["ca_file": .integer(1)])])], "beacon.http.get: tls.ca_file must be the path of a PEM file"),
            ("http.request", [.table(["url": .string("https://x/"), "tls": .table(["verify": .boolean(false), "ca_file": .string("/ca.pem")])])],
             "beacon.http.request: tls.ca_file has no use with tls.verify = false: give one of them"),
            ("sleep", [], "beacon.sleep: seconds must be a positive number"),
            ("sleep", [.integer(0)], "beacon.sleep: seconds must be a positive number"),
            ("sleep", [.number(-1)], "beacon.sleep: seconds must be a positive number"),
            ("sleep", [.number(.infinity)], "beacon.sleep: seconds must be a positive number"),
            ("sleep", [.number(.nan)], "beacon.sleep: seconds must be a positive number"),
            ("sleep", [.string("1")], "beacon.sleep: seconds must be a positive number"),
            ("tcp.connect", [.string("localhost")], "beacon.tcp.connect: port must be an integer from 1 to 65535"),
            ("tcp.connect", [.string("localhost"), .integer(70000)], "beacon.tcp.connect: port must be an integer from 1 to 65535"),
            ("tcp.connect", [.integer(1), .integer(80)], "beacon.tcp.connect: host must be a non-empty string"),
            ("tcp.connect", [.string("localhost"), .integer(80), .string("1")], "beacon.tcp.connect: timeout must be a positive number of seconds"),
        ])
        func raises(name: String, arguments: [LuaValue], message: String) async {
            #expect(await Host.raisedMessage(name, arguments) == message)
        }
    }
}
