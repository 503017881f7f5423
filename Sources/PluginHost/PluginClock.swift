import Dispatch
#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One thread for every plugin timer of a host. Plugin timers are entries in a heap ordered by
/// their next deadline; the clock's thread sleeps until the earliest, and each time it wakes, every
/// entry that is due runs, in deadline order, on that thread. Handlers must not block (a plugin
/// tick only queues a run).
///
/// Why not one Dispatch timer per plugin: with a thousand plugins every 100 ms, ten thousand timer
/// sources firing each second cost Dispatch's timer thread more than the checks themselves
/// (re-sorting its timer heap, re-arming the kernel timer, waking a thread per fire). Why not one
/// Dispatch timer for the heap: each fire still crossed two threads (Dispatch's timer thread, then
/// a worker for the queue). Here a wake may be postponed by the smallest leeway of the timers (1%
/// of the interval, at most 10 ms, as before), so timers due within that much of each other share
/// one wake-up, and first deadlines are rounded up to a grid (``grid(interval:)``), so timers of
/// one interval fall into a few phases and share wake-ups too. No timer fires before its deadline,
/// and none later than its own leeway (plus the system's own latency). The thread waits on the
/// monotonic clock and ends when the clock is released.
final class PluginClock: Sendable {
    /// One timer's place in the clock.
    final class Entry: @unchecked Sendable {
        // @unchecked: every field but the constants is only touched under the clock's lock.
        fileprivate let interval: UInt64
        fileprivate let leeway: UInt64
        /// Dropped on cancel, so that what it holds is released at once, not when the entry
        /// leaves the heap.
        fileprivate var handler: Handler?
        /// Cancelled: the heap drops it when it comes to the top (or in a sweep).
        fileprivate var isCancelled: Bool { handler == nil }

        fileprivate init(interval: UInt64, leeway: UInt64, handler: @escaping @Sendable () -> Void) {
            self.interval = interval
            self.leeway = leeway
            self.handler = Handler(body: handler)
        }
    }

    /// A timer's handler in a box: moving a closure into an array converts it, which allocated
    /// on every fire; moving a box is a retain.
    fileprivate final class Handler: Sendable {
        let body: @Sendable () -> Void

        init(body: @escaping @Sendable () -> Void) { self.body = body }
    }

    /// A heap slot: the deadline sits beside the entry, so sifting touches no entry (with a
    /// thousand timers, reading or writing each entry on the way cost a cache miss per level).
    /// The slot holds its entry retained but as a plain pointer, so moving slots while sifting
    /// costs no reference counting (it was a third of the clock's time). A slot is made only by
    /// ``init(deadline:retaining:)`` and given up only by ``release()``.
    fileprivate struct Slot {
        var deadline: UInt64
        let reference: Unmanaged<Entry>

        init(deadline: UInt64, retaining entry: Entry) {
            self.deadline = deadline
            self.reference = .passRetained(entry)
        }

        var entry: Entry { reference.takeUnretainedValue() }

        /// Gives up the heap's hold on the entry, once the slot has left the heap.
        func release() { reference.release() }
    }

    fileprivate struct State {
        var heap: [Slot] = []
        /// How many entries have each leeway, so the smallest is known without a scan.
        var leeways: [UInt64: Int] = [:]
        /// Cancelled entries still in the heap.
        var cancelledInHeap = 0
        /// When the thread is set to wake (monotonic ns); nil while it is awake or has no timer.
        var armedFor: UInt64?
        var isStopped = false
    }

    /// The state and the thread's wake-ups; the thread holds this, not the clock, so that the
    /// clock's release ends the thread.
    private final class Core: @unchecked Sendable {
        // @unchecked: `state` is only touched with `condition` locked.
        let condition = MonotonicCondition()
        var state = State()

        func withLock<T>(_ body: (inout State) -> T) -> T {
            condition.lock()
            defer { condition.unlock() }
            return body(&state)
        }
    }

    private let core = Core()

    /// Starts the clock's thread, named `name`.
    init(name: String = "beacon-clock") {
        let core = self.core
        // Without its thread no timer would ever fire: keep asking (it fails only when the
        // system is out of threads or memory).
        while !DetachedThread.start(name: name, stackSize: 1 << 20, { PluginClock.run(core) }) {
            usleep(100_000)
        }
    }

    deinit {
        core.withLock { $0.isStopped = true }
        core.condition.signal()
    }

    /// The leeway a timer with this interval is allowed (as Beacon's per-plugin timers had).
    static func leeway(interval: Double) -> Double { min(interval * 0.01, 0.01) }

    /// The grid a timer's first deadline is rounded up to: a tenth of the interval, at most 10 ms.
    static func grid(interval: Double) -> Double { min(interval / 10, 0.01) }

    /// Adds a timer that first fires after `firstDelay` seconds (rounded up to the timer's
    /// ``grid(interval:)`` on the monotonic clock), then every `interval` seconds. A tick that
    /// comes while the previous one of the same timer is late is folded into it.
    ///
    /// Why the grid: every wake-up of a sleeping thread costs far more than the work of a tick
    /// (tens of µs of CPU on a virtual machine). Timers of the same interval fall into at most ten
    /// phases, so a thousand plugins every 100 ms wake the clock 100 times a second instead of a
    /// thousand, while their runs stay spread across the interval.
    func add(firstDelay: Double, interval: Double, handler: @escaping @Sendable () -> Void) -> Entry {
        let now = DispatchTime.now().uptimeNanoseconds
        let entry = Entry(
            interval: max(1, Self.nanoseconds(interval)),
            leeway: Self.nanoseconds(Self.leeway(interval: interval)),
            handler: handler)
        let first = Self.roundUp(now &+ Self.nanoseconds(firstDelay), to: Self.nanoseconds(Self.grid(interval: interval)))
        let wake = core.withLock { state -> Bool in
            state.insert(Slot(deadline: first, retaining: entry))
            state.leeways[entry.leeway, default: 0] += 1
            return state.wakeTarget(sooner: true) != nil
        }
        if wake { core.condition.signal() }
        return entry
    }

    /// Stops a timer for good; a tick already running (or already taken off the heap with the
    /// others due at the same time) finishes. Idempotent.
    func cancel(_ entry: Entry) {
        core.withLock { state in
            guard !entry.isCancelled else { return }
            entry.handler = nil
            let left = (state.leeways[entry.leeway] ?? 1) - 1
            state.leeways[entry.leeway] = left > 0 ? left : nil
            state.cancelledInHeap += 1
            if state.cancelledInHeap > 64, state.cancelledInHeap * 2 > state.heap.count { state.sweep() }
        }
        // A thread set to wake for it just wakes once for nothing.
    }

    /// The clock's thread: runs every due timer, moves each to its next deadline, sleeps.
    private static func run(_ core: Core) {
        var due: [Handler] = []
        core.condition.lock()
        while !core.state.isStopped {
            let now = DispatchTime.now().uptimeNanoseconds
            core.state.takeDue(now: now, into: &due)
            if !due.isEmpty {
                core.condition.unlock()
                for handler in due { handler.body() }
                due.removeAll(keepingCapacity: true)
                core.condition.lock()
                continue
            }
            if let target = core.state.wakeTarget(sooner: false) {
                let now = DispatchTime.now().uptimeNanoseconds
                if target > now { core.condition.wait(nanoseconds: target - now) }
            } else {
                core.condition.wait()
            }
        }
        core.state.removeAll()
        core.condition.unlock()
    }

    /// `time` rounded up to a multiple of `grid` (unchanged for a grid of 0).
    static func roundUp(_ time: UInt64, to grid: UInt64) -> UInt64 {
        guard grid > 0, time % grid != 0 else { return time }
        return (time / grid &+ 1) &* grid
    }

    static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard seconds > 0 else { return 0 }
        return seconds >= 1.8e10 ? UInt64(1.8e19) : UInt64(seconds * 1e9)
    }
}

extension PluginClock.State {
    /// Moves every due entry to `due`, in deadline order, and each to its next deadline on its
    /// original grid (no drift; missed ticks fold into one). Drops cancelled entries on the way.
    mutating func takeDue(now: UInt64, into due: inout [PluginClock.Handler]) {
        armedFor = nil
        while let first = heap.first, first.deadline <= now {
            let entry = first.entry
            guard let handler = entry.handler else {
                removeFirst()
                continue
            }
            due.append(handler)
            let missed = (now - first.deadline) / entry.interval
            heap[0].deadline = first.deadline &+ (missed + 1) &* entry.interval
            siftDown(from: 0)
        }
    }

    /// When the thread must wake: the earliest deadline plus the smallest leeway in the clock
    /// (every timer due by then fires together, none late by more than its own leeway). With
    /// `sooner`, only when that is earlier than the wake already set (nil otherwise: no need to
    /// wake the thread). Records the answer as the wake set.
    mutating func wakeTarget(sooner: Bool) -> UInt64? {
        guard let first = heap.first else { return nil }
        let smallest = leeways.keys.min() ?? 0
        let target = first.deadline &+ smallest
        if sooner, let armedFor, armedFor <= target { return nil }
        armedFor = target
        return target
    }

    mutating func insert(_ slot: PluginClock.Slot) {
        heap.append(slot)
        siftUp(from: heap.count - 1)
    }

    /// Drops the top slot (a cancelled entry).
    mutating func removeFirst() {
        cancelledInHeap -= 1
        heap[0].release()
        let last = heap.removeLast()
        guard !heap.isEmpty else { return }
        heap[0] = last
        siftDown(from: 0)
    }

    /// Drops every slot (the clock is stopped).
    mutating func removeAll() {
        for slot in heap { slot.release() }
        heap.removeAll()
    }

    /// Drops every cancelled entry and rebuilds the heap.
    mutating func sweep() {
        heap.removeAll { slot in
            guard slot.entry.isCancelled else { return false }
            slot.release()
            return true
        }
        cancelledInHeap = 0
        for index in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(from: index) }
    }

    mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < heap.count, heap[left].deadline < heap[smallest].deadline { smallest = left }
            if right < heap.count, heap[right].deadline < heap[smallest].deadline { smallest = right }
            guard smallest != parent else { return }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
