import CPrefetch
import NIOConcurrencyHelpers
import NIOCore

/// The subscribers of one event loop and the hand-off into it.
///
/// The hub appends items to ``inbox`` under its lock (so items arrive in hub order) and schedules
/// at most one ``drain()`` at a time with `eventLoop.execute`: one hop per loop, however many
/// subscribers and events. The drain writes each item's shared buffer to every subscriber that
/// wants it, then flushes each touched channel once. Everything but ``shared`` is confined to
/// `eventLoop`.
final class LoopFanout: @unchecked Sendable {
    let eventLoop: any EventLoop
    private let ticking: TickSchedule
    let counters: HubCounters

    /// State reachable from any thread: the inbox and the interest counts publishers consult.
    private struct Shared {
        var inbox: [FanoutItem] = []
        var scheduled = false
        var wildcard = 0
        var byStream: [String: Int] = [:]
        var subscribers = 0

        func wants(_ stream: String) -> Bool {
            self.wildcard > 0 || self.byStream[stream] != nil
        }
    }
    private let shared = NIOLockedValueBox(Shared())

    // Confined to `eventLoop`.
    private var spare: [FanoutItem] = []
    private var members: [SSESubscriber] = []
    private var wildcardMembers: [SSESubscriber] = []
    private var streamMembers: [String: [SSESubscriber]] = [:]
    private var dirty: [SSESubscriber] = []
    private var ticker: RepeatedTask?
    private var ticks = 0
    /// Events superseded in subscribers' pending lists since the counters were last updated.
    var conflatedSinceReport = 0
    /// Events and bytes written per stream since the counters were last updated.
    private var deliveredSinceReport: [String: StreamDelivery] = [:]

    init(eventLoop: any EventLoop, schedule: TickSchedule, counters: HubCounters) {
        self.eventLoop = eventLoop
        self.ticking = schedule
        self.counters = counters
    }

    // MARK: Any thread

    /// Counts a subscriber's interest so publishers start routing to this loop. Called under the
    /// hub's lock, together with planning the subscriber's replay.
    /// Subscribers of this loop per stream name, and those that follow every stream.
    var interest: (byStream: [String: Int], all: Int) {
        self.shared.withLockedValue { ($0.byStream, $0.wildcard) }
    }

    func register(_ scope: SubscriptionScope) {
        self.shared.withLockedValue { shared in
            shared.subscribers += 1
            switch scope {
            case .all: shared.wildcard += 1
            case .stream, .streams:
                for name in scope.names { shared.byStream[name, default: 0] += 1 }
            }
        }
    }

    func unregister(_ scope: SubscriptionScope) {
        self.shared.withLockedValue { shared in
            shared.subscribers -= 1
            switch scope {
            case .all: shared.wildcard -= 1
            case .stream, .streams:
                for name in scope.names {
                    let count = (shared.byStream[name] ?? 1) - 1
                    shared.byStream[name] = count > 0 ? count : nil
                }
            }
        }
    }

    var subscriberCount: Int { self.shared.withLockedValue { $0.subscribers } }

    /// Queues `item` if a subscriber here wants `stream` (or always, for nil). Returns true when
    /// the caller must ``schedule()`` a drain (after releasing the hub's lock).
    func enqueue(_ item: FanoutItem, ifInterestedIn stream: String?) -> Bool {
        self.shared.withLockedValue { shared in
            if shared.subscribers == 0 { return false }
            if let stream, !shared.wants(stream) { return false }
            shared.inbox.append(item)
            if shared.scheduled { return false }
            shared.scheduled = true
            return true
        }
    }

    func schedule() {
        self.eventLoop.execute { self.drain() }
    }

    // MARK: On the event loop

    func add(_ subscriber: SSESubscriber) {
        self.eventLoop.assertInEventLoop()
        self.members.append(subscriber)
        switch subscriber.scope {
        case .all: self.wildcardMembers.append(subscriber)
        case .stream, .streams:
            for name in subscriber.scope.names { self.streamMembers[name, default: []].append(subscriber) }
        }
        if self.members.count == 1, let interval = self.ticking.interval {
            self.ticks = 0
            self.ticker = self.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
                self.tick()
            }
        }
    }

    func remove(_ subscriber: SSESubscriber) {
        self.eventLoop.assertInEventLoop()
        guard Self.removeIdentical(subscriber, from: &self.members) else { return }
        switch subscriber.scope {
        case .all: _ = Self.removeIdentical(subscriber, from: &self.wildcardMembers)
        case .stream, .streams:
            for name in subscriber.scope.names {
                guard var list = self.streamMembers.removeValue(forKey: name) else { continue }
                _ = Self.removeIdentical(subscriber, from: &list)
                if !list.isEmpty { self.streamMembers[name] = list }
            }
        }
        self.unregister(subscriber.scope)
        if self.members.isEmpty {
            self.ticker?.cancel()
            self.ticker = nil
        }
    }

    private static func removeIdentical(_ subscriber: SSESubscriber, from list: inout [SSESubscriber]) -> Bool {
        guard let index = list.firstIndex(where: { $0 === subscriber }) else { return false }
        list.swapAt(index, list.count - 1)
        list.removeLast()
        return true
    }

    /// Runs on the loop: takes everything queued and fans it out.
    private func drain() {
        self.shared.withLockedValue { shared in
            swap(&shared.inbox, &self.spare)
            shared.scheduled = false
        }
        let last = self.spare.count - 1
        for (index, item) in self.spare.enumerated() {
            switch item {
            case .event(let event):
                self.deliver(event, flush: index == last)
            case .done(let event):
                self.deliver(event, flush: false)
                self.flushDirty()
                for subscriber in self.streamMembers[event.stream] ?? [] where subscriber.scope == .stream(event.stream) {
                    subscriber.finish()
                }
            case .shutdown(let dones):
                self.flushDirty()
                for subscriber in self.members {
                    for done in dones where subscriber.scope.includes(done.stream) {
                        _ = subscriber.deliver(done, flush: false)
                    }
                    subscriber.finish()
                }
            }
        }
        self.spare.removeAll(keepingCapacity: true)
        self.flushDirty()
        self.reportConflated()
    }

    /// Writes `event` to every subscriber that follows its stream; with `flush`, flushes each
    /// (and those left unflushed by earlier events of this drain are flushed by ``flushDirty()``).
    @inline(__always)
    private func deliver(_ event: FramedEvent, flush: Bool) {
        var written = 0
        if let list = self.streamMembers[event.stream] {
            self.deliver(event, flush: flush, to: list, written: &written)
        }
        self.deliver(event, flush: flush, to: self.wildcardMembers, written: &written)
        if written > 0 {
            self.deliveredSinceReport[event.stream, default: StreamDelivery()].events += written
            self.deliveredSinceReport[event.stream, default: StreamDelivery()].bytes += written * event.frame.chunk.readableBytes
        }
    }

    /// Writes `event` to each of `list`, prefetching ahead: the subscriber two places on, and the NIO
    /// objects of the next one (whose fields that earlier hint brought in). At thousands of
    /// subscribers those objects are no longer in the cache, and each write would otherwise wait for
    /// memory several times.
    @inline(__always)
    private func deliver(_ event: FramedEvent, flush: Bool, to list: [SSESubscriber], written: inout Int) {
        list.withUnsafeBufferPointer { subscribers in
            let references = UnsafeRawBufferPointer(subscribers)
            let stride = MemoryLayout<SSESubscriber>.stride
            for index in subscribers.indices {
                if index + 2 < subscribers.count {
                    // The reference's bits, read without retaining the object (which would touch it).
                    beacon_prefetch_for_write(references.load(fromByteOffset: (index + 2) * stride, as: UInt.self), 128)
                }
                if index + 1 < subscribers.count { subscribers[index + 1].prefetch() }
                let subscriber = subscribers[index]
                self.count(subscriber.deliver(event, flush: flush), of: subscriber, into: &written)
            }
        }
    }

    @inline(__always)
    private func count(_ delivery: SSESubscriber.Delivery, of subscriber: SSESubscriber, into written: inout Int) {
        switch delivery {
        case .skipped: return
        case .flushed: written += 1
        case .written(let firstUnflushed):
            written += 1
            if firstUnflushed { self.dirty.append(subscriber) }
        }
    }

    private func flushDirty() {
        for subscriber in self.dirty { subscriber.flush() }
        self.dirty.removeAll(keepingCapacity: true)
    }

    /// One tick for every subscriber of this loop: the heartbeat when due, and the stall check.
    private func tick() {
        self.ticks &+= 1
        let beat = self.ticking.beatEvery > 0 && self.ticks % self.ticking.beatEvery == 0
        let now = self.eventLoop.now
        // A cut subscriber leaves `members` while this loop runs over the array as it was.
        for subscriber in self.members {
            subscriber.tick(now: now, heartbeat: beat, stallTimeout: self.ticking.stallTimeout)
        }
    }

    private func reportConflated() {
        if !self.deliveredSinceReport.isEmpty {
            self.counters.addDelivered(self.deliveredSinceReport)
            self.deliveredSinceReport.removeAll(keepingCapacity: true)
        }
        guard self.conflatedSinceReport > 0 else { return }
        self.counters.addConflated(self.conflatedSinceReport)
        self.conflatedSinceReport = 0
    }

    /// Pending (conflated) events per subscriber; for tests and diagnostics.
    func pendingCounts() -> [Int] {
        self.eventLoop.assertInEventLoop()
        return self.members.map(\.pendingCount)
    }
}
