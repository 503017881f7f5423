import BeaconHTTP
import EventHub
import Logging

/// Status JSON for tests: one known plugin.
struct FixedStatus: StatusSource {
    func pluginsJSON() -> [UInt8] { Array("[{\"name\":\"a\"}]".utf8) }
    func pluginJSON(named name: String) -> [UInt8]? { name == "a" ? Array("{\"name\":\"a\"}".utf8) : nil }
    func statusJSON() -> [UInt8]? { Array("{\"status\":\"warning\"}".utf8) }
    /// `a` is at warning, `b` has no level, others are unknown plugins.
    func badgeLevel(named name: String) -> BadgeLevel? {
        switch name {
        case "a": BadgeLevel(level: "warning")
        case "b": BadgeLevel(level: nil)
        default: nil
        }
    }
}

/// A hub and a real server on 127.0.0.1, port 0.
struct TestServer {
    let hub: EventHub
    let server: BeaconServer
    let port: Int
    let logs: CapturedLogs

    /// `server` is used as given except for its host and port (always 127.0.0.1, a free port).
    static func start(
        streams: [String] = ["a", "b"],
        hub configuration: EventHubConfiguration = EventHubConfiguration(),
        cors: [String] = [],
        server serverConfiguration: BeaconServerConfiguration = BeaconServerConfiguration()
    ) async throws -> TestServer {
        let hub = EventHub(configuration: configuration)
        for name in streams { hub.addStream(name) }
        var settings = serverConfiguration
        settings.host = "127.0.0.1"
        settings.port = 0
        if !cors.isEmpty { settings.corsOrigins = cors }
        let logs = CapturedLogs()
        let server = BeaconServer(
            configuration: settings, hub: hub, status: FixedStatus(), logger: Logger(label: "test") { _ in logs.handler() })
        let port = try await server.start()
        return TestServer(hub: hub, server: server, port: port, logs: logs)
    }

    func client(receiveBuffer: Int32? = nil) throws -> RawClient {
        try RawClient(port: self.port, receiveBuffer: receiveBuffer)
    }

    func stop() async throws {
        self.hub.shutdown(reason: .shutdown)
        try await self.server.shutdown()
    }

    /// Publishes `{"n":N}` on `stream`.
    func publish(_ stream: String, _ n: Int, event: String = "status") {
        self.hub.publish(stream: stream, event: event, json: Array("{\"n\":\(n)}".utf8))
    }

    /// Waits (bounded) until `condition` holds.
    static func eventually(timeout: Double = 5, _ condition: () async throws -> Bool) async rethrows -> Bool {
        let deadline = RawClient.now() + timeout
        while RawClient.now() < deadline {
            if try await condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return try await condition()
    }
}
