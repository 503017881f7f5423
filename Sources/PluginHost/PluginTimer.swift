import Dispatch

/// A repeating Dispatch timer. Dispatch sources are thread-safe; the class only makes that
/// visible to Swift's checker and owns the resume/cancel rules.
final class PluginTimer: @unchecked Sendable {
    private let source: any DispatchSourceTimer

    /// Creates and starts a timer that first fires after `firstDelay` seconds, then every `interval`.
    init(queue: DispatchQueue, firstDelay: Double, interval: Double, handler: @escaping @Sendable () -> Void) {
        source = DispatchSource.makeTimerSource(queue: queue)
        source.schedule(
            deadline: .now() + firstDelay,
            repeating: .nanoseconds(Int(interval * 1e9)),
            leeway: .nanoseconds(Int(min(interval * 0.01, 0.01) * 1e9)))
        source.setEventHandler(handler: handler)
        source.resume()
    }

    /// Stops the timer for good; a tick already running finishes.
    func cancel() { source.cancel() }
}
