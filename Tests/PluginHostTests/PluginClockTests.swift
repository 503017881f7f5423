import Dispatch
import Foundation
import Synchronization
import Testing

@testable import PluginHost

/// The shared clock behind every plugin timer: its real thread, generous bounds.
@Suite("Plugin clock")
struct PluginClockTests {
    private static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    /// Timers of different intervals share one clock: none fires before its deadline, none fires
    /// more often than its grid allows, and each keeps firing.
    @Test func timersFireOnTheirGridNeverEarly() throws {
        let clock = PluginClock()
        let fires = Mutex<[Int: [UInt64]]>([:])
        let intervals = [0.02, 0.03, 0.05]
        let firstDelay = 0.05
        let start = Self.now()
        let entries = intervals.enumerated().map { index, interval in
            clock.add(firstDelay: firstDelay, interval: interval) {
                let at = Self.now()
                fires.withLock { $0[index, default: []].append(at) }
            }
        }
        Thread.sleep(forTimeInterval: 0.6)
        for entry in entries { clock.cancel(entry) }
        let end = Self.now()

        let recorded = fires.withLock { $0 }
        for (index, interval) in intervals.enumerated() {
            let times = recorded[index] ?? []
            let firstDeadline = start + UInt64(firstDelay * 1e9)
            #expect(times.allSatisfy { $0 >= firstDeadline }, "timer \(index) fired before its first deadline")
            // The k-th fire is never before the k-th deadline of its grid (missed ticks fold in).
            for (k, at) in times.enumerated() {
                #expect(at >= firstDeadline + UInt64(Double(k) * interval * 1e9), "timer \(index) fire \(k) early")
            }
            let gridTicks = Int((Double(end - firstDeadline) / 1e9) / interval) + 1
            #expect(times.count <= gridTicks, "timer \(index): \(times.count) fires, grid allows \(gridTicks)")
            #expect(times.count >= max(1, gridTicks / 3), "timer \(index): only \(times.count) of \(gridTicks) fires")
        }
    }

    /// A cancelled timer stops; the others on the same clock go on.
    @Test func cancelStopsOneTimerOnly() throws {
        let clock = PluginClock()
        let counts = Mutex<[Int]>([0, 0])
        let first = clock.add(firstDelay: 0.01, interval: 0.01) { counts.withLock { $0[0] += 1 } }
        let second = clock.add(firstDelay: 0.01, interval: 0.01) { counts.withLock { $0[1] += 1 } }
        let deadline = Date().addingTimeInterval(10)
        while counts.withLock({ $0[0] }) < 3, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        clock.cancel(first)
        clock.cancel(first)  // idempotent
        let atCancel = counts.withLock { $0 }
        Thread.sleep(forTimeInterval: 0.2)
        let later = counts.withLock { $0 }
        clock.cancel(second)
        #expect(atCancel[0] >= 3)
        #expect(later[0] <= atCancel[0] + 1, "a cancelled timer kept firing: \(atCancel[0]) -> \(later[0])")
        #expect(later[1] > atCancel[1], "the other timer stopped too")
    }

    /// First deadlines are rounded up to a grid of a tenth of the interval (at most 10 ms), so
    /// timers of one interval share wake-ups; a deadline already on the grid stays.
    @Test func firstDeadlinesRoundUpToTheGrid() {
        #expect(PluginClock.grid(interval: 0.1) == 0.01)
        #expect(PluginClock.grid(interval: 60) == 0.01)
        #expect(PluginClock.grid(interval: 0.02) == 0.002)
        let grid = PluginClock.nanoseconds(PluginClock.grid(interval: 0.1))
        #expect(grid == 10_000_000)
        #expect(PluginClock.roundUp(1_230_000_001, to: grid) == 1_240_000_000)
        #expect(PluginClock.roundUp(1_239_999_999, to: grid) == 1_240_000_000)
        #expect(PluginClock.roundUp(1_240_000_000, to: grid) == 1_240_000_000)
        #expect(PluginClock.roundUp(7, to: 0) == 7)
        // Two timers asked to start 5 ms apart share their first deadline.
        #expect(PluginClock.roundUp(1_231_000_000, to: grid) == PluginClock.roundUp(1_236_000_000, to: grid))
    }

    /// What a timer's handler holds is released as soon as the timer is cancelled (not when its
    /// entry later leaves the heap), and when the clock itself goes away.
    @Test func handlersAreReleasedOnCancelAndWithTheClock() throws {
        final class Token: Sendable {}
        weak var cancelledToken: Token?
        weak var abandonedToken: Token?
        var clock: PluginClock? = PluginClock()
        do {
            let first = Token()
            let second = Token()
            cancelledToken = first
            abandonedToken = second
            // An hour away: only a cancel or the clock's end can let go of them.
            let entry = try #require(clock).add(firstDelay: 3600, interval: 3600) { _ = first }
            _ = try #require(clock).add(firstDelay: 3600, interval: 3600) { _ = second }
            clock?.cancel(entry)
        }
        #expect(cancelledToken == nil, "a cancelled timer's handler was kept")
        #expect(abandonedToken != nil)
        clock = nil
        // The clock's thread lets go of the heap as it ends.
        let deadline = Date().addingTimeInterval(10)
        while abandonedToken != nil, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        #expect(abandonedToken == nil, "a timer outlived its clock")
    }
}
