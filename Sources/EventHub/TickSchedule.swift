import NIOCore

/// When an event loop's fan-out ticks: one repeated task per loop serves both the heartbeat and
/// the stall check, so no subscriber has a timer of its own.
///
/// The tick is the heartbeat interval divided by the smallest `k` that makes it at most half the
/// stall timeout; a heartbeat goes out every `k`-th tick. A stall is thus noticed at most half a
/// stall timeout late, and heartbeats keep their exact interval.
struct TickSchedule: Equatable {
    /// Time between ticks; nil when there is nothing to do (no heartbeat, no stall timeout).
    let interval: TimeAmount?
    /// A heartbeat every this many ticks; 0 for none.
    let beatEvery: Int
    /// How long a subscriber may stay unwritable; nil for forever.
    let stallTimeout: TimeAmount?

    init(heartbeatSeconds: Double, stallTimeoutSeconds: Double) {
        let heartbeat = Self.amount(heartbeatSeconds)
        let stall = Self.amount(stallTimeoutSeconds)
        self.stallTimeout = stall
        switch (heartbeat, stall) {
        case (let heartbeat?, let stall?):
            let half = max(stall.nanoseconds / 2, 1_000_000)
            let k = max(1, Int((heartbeat.nanoseconds + half - 1) / half))
            self.interval = .nanoseconds(max(heartbeat.nanoseconds / Int64(k), 1_000_000))
            self.beatEvery = k
        case (let heartbeat?, nil):
            self.interval = heartbeat
            self.beatEvery = 1
        case (nil, let stall?):
            self.interval = .nanoseconds(max(stall.nanoseconds / 2, 1_000_000))
            self.beatEvery = 0
        case (nil, nil):
            self.interval = nil
            self.beatEvery = 0
        }
    }

    /// Positive finite seconds (at most a day) as a `TimeAmount`; nil otherwise.
    private static func amount(_ seconds: Double) -> TimeAmount? {
        guard seconds > 0, seconds.isFinite else { return nil }
        return .nanoseconds(max(1_000_000, Int64(min(seconds, 86_400) * 1e9)))
    }
}
