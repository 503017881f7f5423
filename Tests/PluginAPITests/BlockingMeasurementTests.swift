import Dispatch
import Foundation
import LuaKit
import Synchronization
import Testing

/// Host functions block their plugin's queue. This measures what that costs: N checks doing a
/// slow `http.get` at once, each on its own serial queue as PluginHost runs them.
@Suite("blocking on plugin queues", .serialized)
struct BlockingMeasurementTests {
    @Test("N concurrent slow http.get calls overlap (one blocked thread each)", arguments: [8, 32, 64])
    func concurrentGets(count: Int) throws {
        let server = try TestHTTPServer()
        defer { server.shutdown() }
        _ = Host.values("http.get", [.string(server.url("/ok"))])  // create the shared client first
        let threadsBefore = Self.threadCount()
        let tally = Mutex(Tally())
        let group = DispatchGroup()
        let start = LuaDeadline.now()
        for index in 0..<count {
            DispatchQueue(label: "plugin-\(index)").async(group: group) {
                tally.withLock { $0.begin(thread: UInt(bitPattern: Int(bitPattern: pthread_self()))) }
                let values = Host.values("http.get", [.string(server.url("/slow?ms=500"))])
                tally.withLock { $0.end(ok: values.first?["status"] == .integer(200)) }
            }
        }
        var peak = threadsBefore
        while group.wait(timeout: .now() + 0.05) == .timedOut {
            peak = max(peak, Self.threadCount())
        }
        let elapsed = -start.secondsRemaining
        let result = tally.withLock { $0 }
        print("http.get x\(count) against a 500 ms server: \(String(format: "%.2f", elapsed)) s wall, "
            + "\(result.peakInFlight) in flight at once on \(result.threads.count) distinct threads; "
            + "process threads \(threadsBefore) before, \(peak) at peak")
        #expect(result.succeeded == count)
        #expect(result.peakInFlight == count)
        // Serialized they would take count × 0.5 s; overlapping, about 0.5 s.
        #expect(elapsed < 2.5)
    }

    /// Calls in flight and the threads they ran on.
    struct Tally {
        var inFlight = 0
        var peakInFlight = 0
        var succeeded = 0
        var threads: Set<UInt> = []

        mutating func begin(thread: UInt) {
            inFlight += 1
            peakInFlight = max(peakInFlight, inFlight)
            threads.insert(thread)
        }

        mutating func end(ok: Bool) {
            inFlight -= 1
            if ok { succeeded += 1 }
        }
    }

    /// Threads of this process, from /proc/self/status.
    static func threadCount() -> Int {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
        return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces)) ?? 0
    }
}
