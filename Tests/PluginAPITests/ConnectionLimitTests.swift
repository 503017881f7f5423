import LuaKit
import PluginAPI
import Testing

extension HostFunctionTests {
    /// `maxConnectionsPerHost` (`--max-connections-per-host`): requests beyond it wait for a free
    /// connection, within their own timeout.
    @Suite("connections per host")
    struct ConnectionLimitTests {
        @Test("with a limit of 2, six slow requests at once use at most 2 connections, and all answer")
        func limited() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let functions = PluginAPI.hostFunctions(configuration: .init(maxConnectionsPerHost: 2))
            let calls = (0..<6).compactMap { _ in
                Host.start("http.get", [.string(server.url("/slow?ms=200"))], functions: functions)
            }
            try #require(calls.count == 6)
            let answers = await Host.answers(calls)
            #expect(answers.count == 6)
            #expect(answers.allSatisfy { $0.first?["body"] == .string("slow") })
            #expect(server.connections.peak == 2)
        }

        @Test("the default is 8")
        func byDefault() async throws {
            #expect(PluginAPIConfiguration().maxConnectionsPerHost == 8)
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let calls = (0..<12).compactMap { _ in Host.start("http.get", [.string(server.url("/slow?ms=200"))]) }
            #expect(await Host.answers(calls).count == 12)
            #expect(server.connections.peak == 8)
        }

        @Test("waiting for a connection counts against the request's own timeout")
        func queuedTimeout() async throws {
            let server = try TestHTTPServer()
            defer { server.shutdown() }
            let functions = PluginAPI.hostFunctions(configuration: .init(maxConnectionsPerHost: 1))
            // Started together: the first holds the only connection for 1.5 s, the second waits for it.
            let busy = try #require(Host.start("http.get", [.string(server.url("/slow?ms=1500"))], functions: functions))
            let queued = try #require(
                Host.start("http.get", [.string(server.url("/ok")), .table(["timeout": .number(0.3)])], functions: functions))
            #expect(await Host.answer(queued).flatMap(Host.failureMessage) == "timed out after 0.3 s")
            #expect(await Host.answer(busy)?.first?["body"] == .string("slow"))
            #expect(server.connections.peak == 1)
        }
    }
}
