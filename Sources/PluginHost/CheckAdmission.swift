import Dispatch
import Synchronization

/// Bounds the checks in flight (started and not finished, waiting included) to
/// `--max-concurrent-checks`. Runs beyond it wait in order; a waiting run whose plugin's next
/// tick has come already is dropped and counted as skipped, so no backlog builds.
final class CheckAdmission: Sendable {
    private struct Waiting {
        var runner: PluginRunner
        /// Monotonic ns after which the run is dropped instead of started.
        var staleAfter: UInt64
    }

    private struct State {
        var inFlight = 0
        var waiting: [Waiting] = []
        var head = 0
    }

    /// The most checks in flight.
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Checks in flight now.
    var inFlight: Int { state.withLock { $0.inFlight } }

    /// Asks for a slot for `runner`: true when it has one now; otherwise it waits and
    /// `runner.admitted()` is called when one frees (or `dropQueuedRun()` once stale).
    func request(_ runner: PluginRunner, staleAfter: UInt64) -> Bool {
        state.withLock { state in
            if state.inFlight < limit, state.head == state.waiting.count {
                state.inFlight += 1
                return true
            }
            state.waiting.append(Waiting(runner: runner, staleAfter: staleAfter))
            return false
        }
    }

    /// A run ended (or gave its slot back): the next waiting run that is not stale gets it.
    func release() {
        let now = DispatchTime.now().uptimeNanoseconds
        var dropped: [PluginRunner] = []
        let next = state.withLock { state -> PluginRunner? in
            state.inFlight -= 1
            while state.head < state.waiting.count {
                let candidate = state.waiting[state.head]
                state.head += 1
                if state.head == state.waiting.count {
                    state.waiting.removeAll(keepingCapacity: true)
                    state.head = 0
                } else if state.head > 64, state.head * 2 > state.waiting.count {
                    state.waiting.removeFirst(state.head)
                    state.head = 0
                }
                if now > candidate.staleAfter {
                    dropped.append(candidate.runner)
                    continue
                }
                state.inFlight += 1
                return candidate.runner
            }
            return nil
        }
        for runner in dropped { runner.dropQueuedRun() }
        next?.admitted()
    }
}
