import Dispatch
import Synchronization

/// Bounds how many checks run at once. Runs beyond the limit wait in FIFO order; a waiting run
/// whose next tick has already come is dropped and counted as skipped, so a backlog never builds.
final class CheckScheduler: Sendable {
    private struct Waiting {
        var runner: PluginRunner
        var tickedAt: UInt64
    }

    private struct State {
        var active = 0
        var waiting: [Waiting] = []
        var head = 0
    }

    /// The most runs in flight at once.
    let limit: Int
    private let state = Mutex(State())

    init(limit: Int) {
        self.limit = max(1, limit)
    }

    /// Asks for a run of `runner`, ticked at `tickedAt` (monotonic ns).
    func submit(_ runner: PluginRunner, tickedAt: UInt64) {
        let startNow = state.withLock { state -> Bool in
            if state.active < limit {
                state.active += 1
                return true
            }
            state.waiting.append(Waiting(runner: runner, tickedAt: tickedAt))
            return false
        }
        if startNow { runner.startRun(scheduler: self) }
    }

    /// A run finished (or was declared stuck and let go of its slot): start the next one.
    func releaseSlot() {
        var skipped: [PluginRunner] = []
        let next = state.withLock { state -> PluginRunner? in
            let now = DispatchTime.now().uptimeNanoseconds
            while state.head < state.waiting.count {
                let candidate = state.waiting[state.head]
                state.head += 1
                if state.head > 64, state.head * 2 > state.waiting.count {
                    state.waiting.removeFirst(state.head)
                    state.head = 0
                }
                if candidate.runner.isStale(tickedAt: candidate.tickedAt, now: now) {
                    skipped.append(candidate.runner)
                    continue
                }
                return candidate.runner
            }
            state.active -= 1
            return nil
        }
        for runner in skipped { runner.dropQueuedRun() }
        next?.startRun(scheduler: self)
    }

    /// Runs waiting for a slot.
    var waitingCount: Int { state.withLock { $0.waiting.count - $0.head } }
}
