/// The timing of a plugin's timer: its interval, the leeway Dispatch may add to each fire so
/// that timers due together share a wake-up, and the grid its first deadline is rounded up to.
///
/// Why the grid: every wake-up of a sleeping thread costs far more than the work of a tick (twice
/// per fire with Dispatch: its timer thread, then a worker). Timers of the same interval fall into
/// at most ten phases below 500 ms and twenty a second above, so a thousand plugins every second
/// wake the process 20 times a second, not a thousand, while their runs stay spread across the
/// interval.
struct PluginSchedule {
    let intervalNanoseconds: Int
    /// 1% of the interval, at most 10 ms.
    let leewayNanoseconds: Int
    /// A tenth of the interval, at most 50 ms.
    let gridNanoseconds: UInt64

    init(interval: Double) {
        intervalNanoseconds = max(1, Int(min(interval, 1e9) * 1e9))
        leewayNanoseconds = Int(min(interval * 0.01, 0.01) * 1e9)
        gridNanoseconds = UInt64(min(interval / 10, 0.05) * 1e9)
    }

    /// The first deadline (monotonic ns) of a timer started at `now` that waits `delay` seconds:
    /// rounded up to the grid.
    func firstDeadline(after delay: Double, now: UInt64) -> UInt64 {
        let wanted = now &+ UInt64(max(0, min(delay, 1e9)) * 1e9)
        guard gridNanoseconds > 0 else { return wanted }
        let remainder = wanted % gridNanoseconds
        return remainder == 0 ? wanted : wanted &+ (gridNanoseconds - remainder)
    }

    /// The first deadline at or after `now` of a timer whose first deadline was `origin`.
    func nextDeadline(origin: UInt64, now: UInt64) -> UInt64 {
        guard now > origin else { return origin }
        let interval = UInt64(intervalNanoseconds)
        let elapsed = (now - origin + interval - 1) / interval
        return origin &+ elapsed &* interval
    }
}
