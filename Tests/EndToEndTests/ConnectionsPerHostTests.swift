import Dispatch
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif
import Testing

/// `--max-connections-per-host` reaches the HTTP client of the running server: three plugins
/// that fetch the same silent host share one connection with a limit of 1, and open three
/// without it.
@Suite(.serialized) struct ConnectionsPerHostTests {
    @Test(.timeLimit(.minutes(1)), arguments: [(["--max-connections-per-host", "1"], 1), ([], 3)])
    func pluginsShareTheLimit(arguments: [String], expectedPeak: Int) async throws {
        let host = try SilentHost()
        defer { host.close() }
        let folder = try PluginFolder()
        defer { folder.delete() }
        for index in 0..<3 {
            try folder.write("fetch\(index).lua", """
                schedule = "10s"
                timeout = "5s"
                function check_status()
                  local r, err = beacon.http.get("http://127.0.0.1:\(host.port)/", { timeout = 4 })
                  return { err = err }
                end
                """)
        }
        let server = try BeaconProcess(plugins: folder.url, extraArguments: arguments + ["--shutdown-timeout", "0"])
        defer { server.stop() }
        // Sampled by a Dispatch timer, so that a busy test process delays no sample.
        let peak = Mutex(0)
        let sampler = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "connection-sampler"))
        sampler.schedule(deadline: .now(), repeating: .milliseconds(20))
        sampler.setEventHandler {
            let count = host.establishedConnections()
            peak.withLock { $0 = max($0, count) }
        }
        sampler.activate()
        // Until every plugin has finished its first run (they start within a second of each other
        // and each waits 4 s for an answer, so all three were in flight together), at most 20 s.
        for _ in 0..<200 where Self.runsFinished(port: server.port) < 3 {
            try await Task.sleep(for: .milliseconds(100))
        }
        sampler.cancel()
        #expect(Self.runsFinished(port: server.port) == 3)
        #expect(peak.withLock { $0 } == expectedPeak, "log:\n\(server.log)")
    }
}

extension ConnectionsPerHostTests {
    /// Plugins that have finished at least one run (`GET /plugins`).
    static func runsFinished(port: Int) -> Int {
        guard let body = try? httpGet(port: port, "/plugins").body,
              let list = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]
        else { return 0 }
        return list.filter { ($0["runs"] as? Int ?? 0) > 0 }.count
    }
}

/// A listening socket on 127.0.0.1 that never accepts: connections complete in the kernel and
/// wait, unanswered, in its queue.
private struct SilentHost: Sendable {
    let port: Int
    private let fd: Int32

    init() throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let fd = self.fd
        let ready = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && listen(fd, 128) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        port = Int(UInt16(bigEndian: address.sin_port))
        guard fd >= 0, ready else { throw TestFailure("cannot listen on 127.0.0.1") }
    }

    /// Connections to the port in ESTABLISHED state, counted from the clients' side
    /// (/proc/net/tcp lists every socket of this network namespace). Counted by distinct client
    /// address: the kernel writes the table in several reads, and a socket may appear twice when
    /// other sockets come and go between them.
    func establishedConnections() -> Int {
        // Read to the end: /proc files report no size.
        guard let file = FileHandle(forReadingAtPath: "/proc/net/tcp") else { return 0 }
        defer { try? file.close() }
        let table = String(decoding: file.readDataToEndOfFile(), as: UTF8.self)
        let hex = String(port, radix: 16, uppercase: true)
        let remote = "0100007F:" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
        let clients = table.split(separator: "\n").compactMap { line -> Substring? in
            let columns = line.split(separator: " ")
            return columns.count > 3 && columns[2] == remote && columns[3] == "01" ? columns[1] : nil
        }
        return Set(clients).count
    }

    func close() { _ = Glibc.close(fd) }
}
