import Dispatch
import Synchronization

/// Runs checks on threads of its own, at most ``limit`` at once. Runs beyond the limit wait in
/// FIFO order; a waiting run whose next tick has already come is dropped and counted as skipped,
/// so a backlog never builds.
///
/// Why threads of its own: handing each run to Dispatch woke a thread per run (a futex wake and a
/// context switch on each side), which at 10,000 runs a second cost several times the checks
/// themselves. Here a thread that finishes a run takes the next waiting one at once, so a batch of
/// runs due together goes back to back on one thread, woken once.
///
/// What keeps a slow check from holding up the runs queued behind it on its thread:
/// - a run about to call a host function (which may block on the network or a process) calls
///   ``handOff()`` first, and so does the host's watchdog four times a second (for a check that
///   computes for long);
/// - each new submission.
/// Each of them wakes an idle thread (or starts one) when runs wait, a slot is free and no thread
/// is already on its way. Threads idle for ``idleLifetime`` end.
///
/// A run that is declared stuck gives its slot back (``releaseSlot()``) while its thread stays
/// inside the run; the next waiting run then gets another thread.
final class CheckScheduler: @unchecked Sendable {
    // @unchecked: every stored `var` is only touched with `condition` locked.
    private struct Waiting {
        var runner: PluginRunner
        /// Monotonic ns after which the run is dropped instead of started.
        var staleAfter: UInt64
    }

    /// The most runs in flight at once.
    let limit: Int
    /// Seconds an idle thread waits for work before it ends.
    let idleLifetime: Double

    private let condition = MonotonicCondition()
    private var waiting: [Waiting] = []
    private var head = 0
    /// Runs holding a slot.
    private var active = 0
    /// Threads waiting for work.
    private var idle = 0
    /// Threads running now (busy, idle or just started).
    private var threads = 0
    /// A thread was woken or started to look at the queue and has not looked yet.
    private var wakePending = false
    private var isShutDown = false
    /// Threads the system refused to start (for status and tests).
    let threadRefusals = Atomic<Int>(0)
    /// Lua's C stack needs (deep recursion and patterns stop at 200 C levels) fit well in this.
    static let stackSize = 4 << 20

    /// Starts a thread named as given with the stack size given; false when the system refused.
    typealias ThreadStarter = @Sendable (String, Int, @escaping @Sendable () -> Void) -> Bool
    private let threadStarter: ThreadStarter

    init(limit: Int, idleLifetime: Double = 10, threadStarter: @escaping ThreadStarter = DetachedThread.start) {
        self.limit = max(1, limit)
        self.idleLifetime = idleLifetime
        self.threadStarter = threadStarter
    }

    /// Asks for a run of `runner`; if it is still waiting for a slot at `staleAfter` (monotonic
    /// ns), it is dropped instead.
    func submit(_ runner: PluginRunner, staleAfter: UInt64) {
        summon { waiting.append(Waiting(runner: runner, staleAfter: staleAfter)) }
    }

    /// A stuck run let go of its slot while its thread stays in it: the next run gets another.
    func releaseSlot() {
        summon { active -= 1 }
    }

    /// Makes sure some thread looks at the waiting runs soon, when a slot is free: called before
    /// a run may block, and periodically.
    func handOff() {
        summon {}
    }

    /// Applies `change` with the lock held, then wakes or starts a thread if runs wait for one.
    private func summon(after change: () -> Void) {
        condition.lock()
        change()
        let startThread = summonLocked()
        condition.unlock()
        if startThread { self.startThread() }
    }

    /// Lets the threads end once their runs are done; later submissions are dropped.
    func shutdown() {
        condition.lock()
        isShutDown = true
        waiting.removeAll()
        head = 0
        condition.broadcast()
        condition.unlock()
    }

    /// Threads alive now (for tests and status).
    var threadCount: Int {
        condition.lock()
        defer { condition.unlock() }
        return threads
    }

    // MARK: - With the lock held

    /// When runs wait, a slot is free and no thread is on its way to them, wakes an idle thread;
    /// returns true when there is none and the caller must start one (after unlocking).
    private func summonLocked() -> Bool {
        guard !isShutDown, head < waiting.count, active < limit, !wakePending else { return false }
        wakePending = true
        if idle > 0 {
            condition.signal()
            return false
        }
        threads += 1
        return true
    }

    /// The next run that is not stale; stale ones are moved to `dropped`.
    private func takeLocked(dropping dropped: inout [PluginRunner]) -> PluginRunner? {
        let now = DispatchTime.now().uptimeNanoseconds
        while head < waiting.count {
            let candidate = waiting[head]
            head += 1
            if head == waiting.count {
                waiting.removeAll(keepingCapacity: true)
                head = 0
            } else if head > 64, head * 2 > waiting.count {
                waiting.removeFirst(head)
                head = 0
            }
            if now > candidate.staleAfter {
                dropped.append(candidate.runner)
                continue
            }
            return candidate.runner
        }
        return nil
    }

    // MARK: - Threads

    /// Starts a thread; when the system refuses one, the runs wait for a thread that is already
    /// there, and the next submission or hand-off tries again.
    private func startThread() {
        let started = threadStarter("beacon-checks", Self.stackSize) { [self] in work() }
        guard !started else { return }
        condition.lock()
        threads -= 1
        wakePending = false
        condition.unlock()
        threadRefusals.add(1, ordering: .relaxed)
    }

    /// A thread's life: take a run, run it, repeat; wait when there is nothing to take.
    private func work() {
        var dropped: [PluginRunner] = []
        condition.lock()
        wakePending = false
        while !isShutDown {
            if active < limit, let runner = takeLocked(dropping: &dropped) {
                active += 1
                condition.unlock()
                for stale in dropped { stale.dropQueuedRun() }
                dropped.removeAll(keepingCapacity: true)
                let keptSlot = runner.runHoldingSlot()
                condition.lock()
                if keptSlot { active -= 1 }
                continue
            }
            if !dropped.isEmpty {
                condition.unlock()
                for stale in dropped { stale.dropQueuedRun() }
                dropped.removeAll(keepingCapacity: true)
                condition.lock()
                continue
            }
            idle += 1
            let woken = condition.wait(nanoseconds: UInt64(idleLifetime * 1e9))
            idle -= 1
            wakePending = false
            if !woken, head == waiting.count { break }
        }
        threads -= 1
        condition.unlock()
    }
}
