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

    /// What one leak run measured.
    private struct Measurement: Sendable {
        var answered = 0
        var runsAtBaseline = 0
        var runsAfter: Int?
        var baseline = (descriptors: 0, residentKiB: 0)
        var descriptorsBack: Int?
        var after = (descriptors: 0, residentKiB: 0)
        var serverRunning = false
    }

    /// The run itself is blocking socket work for half a minute, so it gets a thread of its own
    /// instead of holding one of the few threads the other tests' async code runs on.
    @Test(.timeLimit(.minutes(4))) func tenThousandCyclesAndCheckRunsReturnToBaseline() async throws {
        let result = await withCheckedContinuation { (continuation: CheckedContinuation<Result<Measurement, any Error>, Never>) in
            let thread = Thread { continuation.resume(returning: Result { try Self.measure() }) }
            thread.start()
        }
        let measured = try result.get()
        let baseline = measured.baseline
        print("leak check: descriptors \(baseline.descriptors) -> \(measured.descriptorsBack ?? measured.after.descriptors), "
            + "resident \(baseline.residentKiB) -> \(measured.after.residentKiB) KiB, "
            + "runs \(measured.runsAtBaseline) -> \(measured.runsAfter ?? -1)")
        #expect(measured.answered == 10_000)
        #expect(measured.runsAfter != nil, "10,000 check runs did not happen within the time allowed")
        #expect(measured.descriptorsBack != nil,
                "descriptors: \(baseline.descriptors) before, \(measured.after.descriptors) after")
        // Memory: generous, since allocators keep freed pages; a leak of even 1 KiB per cycle
        // (10 MiB) or per run would show.
        #expect(measured.after.residentKiB <= baseline.residentKiB + 8 * 1024,
                "resident: \(baseline.residentKiB) KiB before, \(measured.after.residentKiB) KiB after")
        #expect(measured.serverRunning)
    }

    private static func measure() throws -> Measurement {
        var measured = Measurement()
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
        guard let warm = waitFor(seconds: 20, { Self.totalRuns(port: server.port).flatMap { $0 >= 1000 ? $0 : nil } })
        else { throw TestFailure("the plugins did not run 1,000 times within 20 s") }
        measured.runsAtBaseline = warm
        guard let baseline = waitFor(seconds: 10, { () -> (descriptors: Int, residentKiB: Int)? in
            usleep(200_000)
            return Self.usage(of: pid)
        }) else { throw TestFailure("no /proc figures for the server") }
        measured.baseline = baseline

        for number in 0..<10_000 {
            if try Self.cycle(number, port: server.port) { measured.answered += 1 }
        }
        measured.runsAfter = waitFor(seconds: 60) { () -> Int? in
            guard let runs = Self.totalRuns(port: server.port), runs >= warm + 10_000 else { return nil }
            return runs
        }
        // Descriptors come back to the baseline (each open connection holds one).
        measured.descriptorsBack = waitFor(seconds: 15) { () -> Int? in
            guard let now = Self.usage(of: pid), now.descriptors <= baseline.descriptors + 2 else { return nil }
            return now.descriptors
        }
        guard let after = Self.usage(of: pid) else { throw TestFailure("no /proc figures for the server at the end") }
        measured.after = after
        measured.serverRunning = server.process.isRunning
        return measured
    }
}
