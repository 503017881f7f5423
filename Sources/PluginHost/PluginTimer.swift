import Dispatch

/// A repeating plugin timer: an entry in the host's `PluginClock`, which fires it on the clock's
/// thread. The class owns the cancel rule.
final class PluginTimer: Sendable {
    private let clock: PluginClock
    private let entry: PluginClock.Entry

    /// Creates and starts a timer that first fires after `firstDelay` seconds, then every `interval`.
    init(clock: PluginClock, firstDelay: Double, interval: Double, handler: @escaping @Sendable () -> Void) {
        self.clock = clock
        self.entry = clock.add(firstDelay: firstDelay, interval: interval, handler: handler)
    }

    /// Stops the timer for good; a tick already running finishes.
    func cancel() { clock.cancel(entry) }
}
