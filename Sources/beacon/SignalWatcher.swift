import Dispatch
#if canImport(Glibc)
import Glibc
#endif

/// Turns SIGHUP into reloads and SIGTERM/SIGINT into one termination, via Dispatch signal sources
/// (the handlers run on a queue, never in signal context).
final class SignalWatcher: @unchecked Sendable {
    // @unchecked: `onReload` is set once before any signal source is resumed; sources live on `queue`.
    var onReload: @Sendable () -> Void = {}
    private let queue = DispatchQueue(label: "beacon.signals")
    private var sources: [any DispatchSourceSignal] = []

    /// Suspends until SIGTERM or SIGINT arrives; returns its name.
    func waitForTermination() async -> String {
        await withCheckedContinuation { (continuation: CheckedContinuation<String, Never>) in
            queue.sync {
                var resumed = false
                for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                    signal(number, SIG_IGN)
                    let source = DispatchSource.makeSignalSource(signal: number, queue: queue)
                    source.setEventHandler {
                        guard !resumed else { return }
                        resumed = true
                        continuation.resume(returning: name)
                    }
                    source.resume()
                    sources.append(source)
                }
                signal(SIGHUP, SIG_IGN)
                let reload = DispatchSource.makeSignalSource(signal: SIGHUP, queue: queue)
                reload.setEventHandler { [onReload] in onReload() }
                reload.resume()
                sources.append(reload)
            }
        }
    }
}
