import Dispatch

/// A repeating plugin timer: an entry in the host's `PluginClock`, which fires it on the clock's
/// thread. The class owns the cancel rule.
///
/// The timer holds its clock weakly: a runner's handler holds the runner, and the runner holds its
/// timer, so a strong hold would keep the clock (and every plugin's checks) alive after the host
/// that owns the clock is gone without `stop()`.
final class PluginTimer: Sendable {
    private weak let clock: PluginClock?
    private let entry: PluginClock.Entry

    /// Creates and starts a timer that first fires after `firstDelay` seconds, then every `interval`.
    init(clock: PluginClock, firstDelay: Double, interval: Double, handler: @escaping @Sendable () -> Void) {
        self.clock = clock
        self.entry = clock.add(firstDelay: firstDelay, interval: interval, handler: handler)
    }

    /// Stops the timer for good; a tick already running finishes. Nothing to do once the clock
    /// is gone (its timers went with it).
    func cancel() { clock?.cancel(entry) }
}
