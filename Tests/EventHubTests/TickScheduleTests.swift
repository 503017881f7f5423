import NIOCore
import Testing

@testable import EventHub

@Suite("Heartbeat and stall tick")
struct TickScheduleTests {
    @Test func defaultsTickAtTheHeartbeat() {
        let schedule = TickSchedule(heartbeatSeconds: 15, stallTimeoutSeconds: 30)
        #expect(schedule.interval == .seconds(15))
        #expect(schedule.beatEvery == 1)
        #expect(schedule.stallTimeout == .seconds(30))
    }

    /// A stall timeout shorter than twice the heartbeat makes the tick finer; heartbeats keep
    /// their interval (every k-th tick).
    @Test func shortStallTimeoutDividesTheHeartbeat() {
        let schedule = TickSchedule(heartbeatSeconds: 15, stallTimeoutSeconds: 10)
        #expect(schedule.beatEvery == 3)
        #expect(schedule.interval == .seconds(5))
        #expect(schedule.interval!.nanoseconds * Int64(schedule.beatEvery) == TimeAmount.seconds(15).nanoseconds)
    }

    @Test func eitherCanBeOff() {
        let noStall = TickSchedule(heartbeatSeconds: 15, stallTimeoutSeconds: 0)
        #expect(noStall.interval == .seconds(15))
        #expect(noStall.beatEvery == 1)
        #expect(noStall.stallTimeout == nil)
        let noHeartbeat = TickSchedule(heartbeatSeconds: 0, stallTimeoutSeconds: 30)
        #expect(noHeartbeat.interval == .seconds(15))
        #expect(noHeartbeat.beatEvery == 0)
        let neither = TickSchedule(heartbeatSeconds: .nan, stallTimeoutSeconds: -1)
        #expect(neither.interval == nil)
        #expect(neither.stallTimeout == nil)
    }
}
