import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Where the built `beacon-bench` is: next to the test bundle (built with the package), or
/// `BEACON_BENCH_BIN`.
private enum BenchBinary {
    static var url: URL {
        if let path = ProcessInfo.processInfo.environment["BEACON_BENCH_BIN"] { return URL(fileURLWithPath: path) }
        return BeaconProcess.executable.deletingLastPathComponent().appendingPathComponent("beacon-bench")
    }

    static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: url.path) }
}

/// The benchmark load generator, `beacon-bench`, against a real beacon on loopback: it connects,
/// counts events and latency, samples the server, and refuses anything but loopback.
@Suite(.enabled(if: BenchBinary.isBuilt, "beacon-bench is not built next to beacon"))
struct BenchToolTests {
    @Test func measuresAStreamOfBeacon() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("now.lua", """
            schedule = "100ms"
            function check_status()
              return { t = beacon.now() }
            end
            """)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }

        let run = try Self.run([
            "load", "http://127.0.0.1:\(server.port)/events/now", "--connections", "20", "--duration", "1",
            "--pid", String(server.process.processIdentifier),
            "--expect-all-connected", "--expect-events", "1", "--expect-ordered-ids",
        ])
        #expect(run.status == 0, "stderr: \(run.errors)")
        let report = try #require(
            (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any], "\(run.output)")
        #expect(report["n"] as? Int == 20)
        #expect(report["connected"] as? Int == 20)
        #expect(report["open_at_end"] as? Int == 20)
        #expect(report["failed"] as? Int == 0)
        #expect(report["id_regressions"] as? Int == 0)
        #expect((report["events"] as? Int ?? 0) >= 20, "\(report)")
        let latency = try #require(report["latency_ms"] as? [String: Any])
        #expect((latency["p50"] as? Double ?? -1) >= 0, "\(latency)")
        let serverStats = try #require(report["server"] as? [String: Any])
        #expect(serverStats["cpu_s"] is Double || serverStats["cpu_s"] is Int, "\(serverStats)")
        #expect((serverStats["rss_end_kib"] as? Int ?? 0) > 0)
        let perMillion = try #require((serverStats["cpu_s_per_1m_events"] as? NSNumber)?.doubleValue, "\(serverStats)")
        let userPerMillion = try #require((serverStats["user_cpu_s_per_1m_events"] as? NSNumber)?.doubleValue, "\(serverStats)")
        #expect(userPerMillion >= 0 && userPerMillion <= perMillion, "\(serverStats)")
        #expect(run.errors.contains("20/20 open"), "summary: \(run.errors)")
    }

    @Test(arguments: ["http://10.1.2.3:8080/events/now", "http://example.com/events", "https://127.0.0.1/x"])
    func refusesTargetsOffLoopback(url: String) throws {
        let run = try Self.run(["load", url, "--connections", "1", "--duration", "1"])
        #expect(run.status == 2, "stdout: \(run.output) stderr: \(run.errors)")
        #expect(run.output.isEmpty)
        #expect(run.errors.contains(url), "\(run.errors)")
    }

    @Test func anExpectationThatFailsExitsOne() throws {
        // Nothing listens on this port (bound, never listening), so every dial is refused.
        let probe = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(probe) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                _ = bind(probe, pointer, length)
                return getsockname(probe, pointer, &length)
            }
        }
        let port = UInt16(bigEndian: address.sin_port)

        let run = try Self.run([
            "load", "http://127.0.0.1:\(port)/events", "--connections", "3", "--duration", "0.2",
            "--expect-all-connected",
        ])
        #expect(run.status == 1, "stderr: \(run.errors)")
        let report = try #require(
            (try? JSONSerialization.jsonObject(with: Data(run.output.utf8))) as? [String: Any], "\(run.output)")
        #expect(report["failed"] as? Int == 3)
        #expect((report["errors"] as? [String: Int])?["refused"] == 3, "\(report)")
    }

    /// Runs `beacon-bench ARGUMENTS` to completion (at most 60 s).
    private static func run(_ arguments: [String]) throws -> BeaconCommand {
        try BeaconCommand.run(arguments, executable: BenchBinary.url)
    }
}
