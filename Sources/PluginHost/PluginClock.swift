import Dispatch
import Synchronization

/// One Dispatch timer for every plugin timer of a host. Plugin timers are entries in a heap
/// ordered by their next deadline; the one Dispatch timer is armed for the earliest, and each time
/// it fires, every entry that is due runs, in deadline order, on the clock's queue.
///
/// Why not one Dispatch timer per plugin: with a thousand plugins every 100 ms, ten thousand timer
/// sources firing each second cost Dispatch's timer thread more than the checks themselves
/// (re-sorting its timer heap, re-arming the kernel timer, waking a thread per fire). Here a fire
/// may be postponed by the smallest leeway of the timers (1% of the interval, at most 10 ms, as
/// before), so timers due within that much of each other share one wake-up. No timer fires early,
/// and none later than its own leeway (plus the system's own latency).
final class PluginClock: @unchecked Sendable {
    // @unchecked: Dispatch sources are thread-safe; everything else is under `state`'s lock.
    /// One timer's place in the clock.
    final class Entry: @unchecked Sendable {
        // @unchecked: every field but the constants is only touched under the clock's lock.
        fileprivate let interval: UInt64
        fileprivate let leeway: UInt64
        fileprivate let handler: @Sendable () -> Void
        fileprivate var deadline: UInt64
        /// Position in the heap; -1 once cancelled.
        fileprivate var index = -1

        fileprivate init(deadline: UInt64, interval: UInt64, leeway: UInt64, handler: @escaping @Sendable () -> Void) {
            self.deadline = deadline
            self.interval = interval
            self.leeway = leeway
            self.handler = handler
        }
    }

    fileprivate struct State {
        var heap: [Entry] = []
        /// How many entries have each leeway, so the smallest is known without a scan.
        var leeways: [UInt64: Int] = [:]
        /// When the Dispatch timer is set to fire (monotonic ns); nil when it is idle.
        var armedFor: UInt64?
    }

    private let source: any DispatchSourceTimer
    private let state = Mutex(State())

    init(queue: DispatchQueue) {
        self.source = DispatchSource.makeTimerSource(queue: queue)
        source.setEventHandler { [weak self] in self?.fire() }
        source.resume()
    }

    deinit {
        source.cancel()
    }

    /// The leeway a timer with this interval is allowed (as Beacon's per-plugin timers had).
    static func leeway(interval: Double) -> Double { min(interval * 0.01, 0.01) }

    /// Adds a timer that first fires after `firstDelay` seconds, then every `interval` seconds.
    /// A tick that comes while the previous one of the same timer is late is folded into it.
    func add(firstDelay: Double, interval: Double, handler: @escaping @Sendable () -> Void) -> Entry {
        let now = DispatchTime.now().uptimeNanoseconds
        let entry = Entry(
            deadline: now &+ Self.nanoseconds(firstDelay),
            interval: max(1, Self.nanoseconds(interval)),
            leeway: Self.nanoseconds(Self.leeway(interval: interval)),
            handler: handler)
        state.withLock { state in
            state.insert(entry)
            state.leeways[entry.leeway, default: 0] += 1
            // Armed under the lock, so that two threads cannot set it in the wrong order.
            if let rearm = state.rearmIfNeeded() { arm(at: rearm) }
        }
        return entry
    }

    /// Stops a timer for good; a tick already running finishes. Idempotent.
    func cancel(_ entry: Entry) {
        state.withLock { state in
            guard entry.index >= 0 else { return }
            state.remove(at: entry.index)
            let left = (state.leeways[entry.leeway] ?? 1) - 1
            state.leeways[entry.leeway] = left > 0 ? left : nil
        }
        // An armed Dispatch timer with nothing left to fire just fires once for nothing.
    }

    /// On `queue`: runs every due timer, moves each to its next deadline, and re-arms.
    private func fire() {
        let now = DispatchTime.now().uptimeNanoseconds
        let due = state.withLock { state -> [Entry] in
            state.armedFor = nil
            var due: [Entry] = []
            while let first = state.heap.first, first.deadline <= now {
                due.append(first)
                // The next deadline on the original grid: no drift, and missed ticks fold into one.
                let missed = (now - first.deadline) / first.interval
                first.deadline = first.deadline &+ (missed + 1) &* first.interval
                state.siftDown(from: 0)
            }
            if let rearm = state.rearmIfNeeded() { arm(at: rearm) }
            return due
        }
        for entry in due where state.withLock({ _ in entry.index >= 0 }) {
            entry.handler()
        }
    }

    private func arm(at deadline: UInt64) {
        source.schedule(deadline: DispatchTime(uptimeNanoseconds: deadline), repeating: .never, leeway: .nanoseconds(0))
    }

    private static func nanoseconds(_ seconds: Double) -> UInt64 {
        guard seconds > 0 else { return 0 }
        return seconds >= 1.8e10 ? UInt64(1.8e19) : UInt64(seconds * 1e9)
    }
}

extension PluginClock.State {
    /// The time to arm the Dispatch timer for, when it must change: the earliest deadline plus
    /// the smallest leeway in the clock (every timer due by then fires together, none late by
    /// more than its own leeway).
    mutating func rearmIfNeeded() -> UInt64? {
        guard let first = heap.first else { return nil }
        let smallest = leeways.keys.min() ?? 0
        let target = first.deadline &+ smallest
        if let armedFor, armedFor <= target { return nil }
        armedFor = target
        return target
    }

    mutating func insert(_ entry: PluginClock.Entry) {
        entry.index = heap.count
        heap.append(entry)
        siftUp(from: entry.index)
    }

    mutating func remove(at index: Int) {
        let removed = heap[index]
        let last = heap.count - 1
        if index != last {
            swapAt(index, last)
        }
        heap.removeLast()
        removed.index = -1
        if index < heap.count {
            siftDown(from: index)
            siftUp(from: index)
        }
    }

    mutating func siftUp(from start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard heap[child].deadline < heap[parent].deadline else { return }
            swapAt(child, parent)
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
            swapAt(parent, smallest)
            parent = smallest
        }
    }

    private mutating func swapAt(_ a: Int, _ b: Int) {
        heap.swapAt(a, b)
        heap[a].index = a
        heap[b].index = b
    }
}
