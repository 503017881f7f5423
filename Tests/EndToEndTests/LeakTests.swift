import Foundation
import Testing

/// No leak in the real binary: after 10,000 connect/disconnect cycles and 10,000 check runs, the
/// server's open descriptors come back to where they were and its resident memory stays near it.
@Suite("Leaks")
struct LeakTests {
    /// The child's open descriptors and resident KiB, from /proc.
    private static func usage(of pid: Int32) -> (descriptors: Int, residentKiB: Int)? {
        guard let entries = try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd"),
              let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
              let kib = line.split(separator: " ").compactMap({ Int($0) }).first
        else { return nil }
        return (entries.count, kib)
    }

    /// Check runs so far, summed over every plugin (`GET /plugins`).
    private static func totalRuns(port: Int) -> Int? {
        guard let body = try? httpGet(port: port, "/plugins").body,
              let list = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]]
        else { return nil }
        return list.compactMap { $0["runs"] as? Int }.reduce(0, +)
    }

    /// One client that arrives and leaves in one of five ways. Returns true when it got what it
    /// asked for (or asked for nothing it could wait for).
    private static func cycle(_ number: Int, port: Int) throws -> Bool {
        let connection = try TestConnection(port: port)
        switch number % 5 {
        case 0:
            try connection.get("/events/p\(number % 10)")
            return try connection.readHead().status == 200 && connection.nextEvent(seconds: 5) != nil
        case 1:
            try connection.get("/events?plugin=p1&plugin=p2")
            return try connection.readHead().status == 200
        case 2:
            try connection.get("/events/p3")  // and gone before the answer
            return true
        case 3:
            try connection.get("/healthz", headers: ["Connection: close"])
            return try connection.readHead().status == 200
        default:
            try connection.send("GET /events/p4 HTTP/1.1\r\nHo")  // half a request
            return true
        }
    }

    @Test(.timeLimit(.minutes(4))) func tenThousandCyclesAndCheckRunsReturnToBaseline() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        // Ten plugins every 10 ms: about 1,000 check runs a second.
        for index in 0..<10 {
            try folder.write("p\(index).lua", """
                schedule = "10ms"
                n = 0
                function check_status()
                  n = n + 1
                  return { n = n, ok = true, note = string.rep("x", 200), at = beacon.now(), index = \(index) }
                end
                """)
        }
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }
        let pid = server.process.processIdentifier

        // Warm-up, so that lazily made things (loops' fan-outs, buffers, pools) exist already.
        for number in 0..<500 { _ = try Self.cycle(number, port: server.port) }
        let warm = waitFor(seconds: 20) { Self.totalRuns(port: server.port).flatMap { $0 >= 1000 ? $0 : nil } }
        let runsAtBaseline = try #require(warm)
        let settledBaseline = waitFor(seconds: 10) { () -> (descriptors: Int, residentKiB: Int)? in
            usleep(200_000)
            return Self.usage(of: pid)
        }
        let baseline = try #require(settledBaseline)

        var answered = 0
        for number in 0..<10_000 {
            if try Self.cycle(number, port: server.port) { answered += 1 }
        }
        #expect(answered == 10_000)
        let ran = waitFor(seconds: 60) { () -> Int? in
            guard let runs = Self.totalRuns(port: server.port), runs >= runsAtBaseline + 10_000 else { return nil }
            return runs
        }
        #expect(ran != nil, "10,000 check runs did not happen within the time allowed")

        // Descriptors come back to the baseline (each open connection holds one).
        let descriptorsBack = waitFor(seconds: 15) { () -> Int? in
            guard let now = Self.usage(of: pid), now.descriptors <= baseline.descriptors + 2 else { return nil }
            return now.descriptors
        }
        #expect(descriptorsBack != nil,
                "descriptors: \(baseline.descriptors) before, \(Self.usage(of: pid)?.descriptors ?? -1) after")
        // Memory: generous, since allocators keep freed pages; a leak of even 1 KiB per cycle
        // (10 MiB) or per run would show.
        let after = try #require(Self.usage(of: pid))
        print("leak check: descriptors \(baseline.descriptors) -> \(descriptorsBack ?? -1), "
            + "resident \(baseline.residentKiB) -> \(after.residentKiB) KiB, runs \(runsAtBaseline) -> \(ran ?? -1)")
        #expect(after.residentKiB <= baseline.residentKiB + 8 * 1024,
                "resident: \(baseline.residentKiB) KiB before, \(after.residentKiB) KiB after")
        #expect(server.process.isRunning)
    }
}
