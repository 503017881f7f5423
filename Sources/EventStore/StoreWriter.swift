import Dispatch
public import Logging
import Metrics
import Synchronization

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes published events to a store in batches (group commit) on a queue of its own, and runs
/// retention there too, so a publisher never waits for the store.
///
/// ``submit(_:)`` only appends to a list under a lock. The first event of a batch arms a commit
/// ``batchDelay`` later, which writes everything submitted by then in one transaction. A failed
/// commit keeps its events and is retried (every ``retryDelay``) until the store takes them; the
/// failure is logged at most once a minute and counted. Past ``maxQueuedBytes`` of unwritten data
/// the oldest events are dropped (and ``droppedThrough`` says up to where), so a store that stays
/// broken cannot exhaust memory.
public final class StoreWriter: Sendable {
    /// How long the first event of a batch waits for others before the batch is committed.
    public static let batchDelay = 0.05
    /// How long after a failed commit the next attempt starts.
    public static let retryDelay = 1.0
    /// Most events written in one transaction (a backlog is written in several).
    static let maxBatch = 10_000
    /// Unwritten data kept while the store fails, in bytes, before the oldest events are dropped.
    public static let maxQueuedBytes = 256 << 20

    /// The store written to.
    public let store: any EventStore
    private let queue = DispatchQueue(label: "beacon-store-writer")
    private let logger: Logger
    private let submitted = Mutex(Submitted())
    private let unwritten = Mutex(Unwritten())
    private let counters = Mutex(Counters())

    /// Events submitted since the last commit started; guarded, touched by publishers.
    private struct Submitted {
        var events: [StoredEvent] = []
        var bytes = 0
        var armed = false
        /// The last commit failed: the next one waits ``retryDelay`` instead of ``batchDelay``.
        var failing = false
        var closed = false
    }

    /// Events taken for writing that the store has not accepted yet, oldest first (only the
    /// writer queue touches it; the lock makes that checkable).
    private struct Unwritten {
        var events: [StoredEvent] = []
        var bytes = 0
        /// When a failure was last logged (monotonic seconds); failures are logged once a minute.
        var lastLogged: Double = -.infinity
        /// Failures since the last log line.
        var unlogged = 0
    }

    /// What `/metrics` and resumes read.
    public struct Counters: Sendable, Equatable {
        /// Commits that failed.
        public var writeErrors = 0
        /// Events dropped unwritten because the store failed for too long.
        public var droppedEvents = 0
        /// The highest id dropped unwritten; 0 when none was.
        public var droppedThrough: UInt64 = 0
        /// The highest id retention deleted.
        public var deletedThrough: UInt64 = 0
        /// Rows retention deleted since the start.
        public var deletedRows = 0
        /// The highest id committed so far (0 before the first commit).
        public var committedThrough: UInt64 = 0
        /// Events submitted or retried that are not committed yet.
        public var queued = 0

        public init() {}
    }

    /// - Parameter deletedThrough: the store's ``StoreOpening/deletedThrough`` at start.
    public init(store: any EventStore, deletedThrough: UInt64, logger: Logger) {
        self.store = store
        self.logger = logger
        self.counters.withLock { $0.deletedThrough = deletedThrough }
    }

    /// The writer's counters now.
    public var statistics: Counters {
        let queued = self.submitted.withLock { $0.events.count } + self.unwritten.withLock { $0.events.count }
        var counters = self.counters.withLock { $0 }
        counters.queued = queued
        return counters
    }

    /// The highest id whose event may be missing from the store although it was published before
    /// it (deleted by retention or dropped unwritten). A resume from an id at or above it finds
    /// every later event in the store, once committed.
    public var missingThrough: UInt64 {
        self.counters.withLock { max($0.deletedThrough, $0.droppedThrough) }
    }

    /// Queues one event. Call in id order (the hub calls it under its lock); never blocks on the store.
    public func submit(_ event: StoredEvent) {
        let arm = self.submitted.withLock { submitted -> Double? in
            guard !submitted.closed else { return nil }
            submitted.events.append(event)
            submitted.bytes += Self.weight(event)
            guard !submitted.armed else { return nil }
            submitted.armed = true
            return submitted.failing ? Self.retryDelay : Self.batchDelay
        }
        if let arm { self.queue.asyncAfter(deadline: .now() + arm) { self.commit() } }
    }

    /// Writes everything submitted so far and stops taking events; returns how many could not be
    /// written. While the store fails, tries again every 100 ms until `timeout` seconds have
    /// passed (for SIGTERM). The caller's task is suspended, never blocked, meanwhile.
    public func close(timeout: Double) async -> Int {
        self.submitted.withLock { $0.closed = true }
        let deadline = DispatchTime.now() + max(0, timeout)
        return await withCheckedContinuation { continuation in
            self.queue.async { self.closingCommit(until: deadline, continuation) }
        }
    }

    /// On the writer queue: one attempt of ``close(timeout:)``.
    private func closingCommit(until deadline: DispatchTime, _ continuation: CheckedContinuation<Int, Never>) {
        let left = self.commit(closing: true)
        guard left > 0, DispatchTime.now() < deadline else { return continuation.resume(returning: left) }
        self.queue.asyncAfter(deadline: .now() + 0.1) { self.closingCommit(until: deadline, continuation) }
    }

    /// On the writer queue: takes what was submitted and commits it after any earlier unwritten
    /// events. Returns how many remain unwritten.
    @discardableResult
    private func commit(closing: Bool = false) -> Int {
        let taken = self.submitted.withLock { submitted -> (events: [StoredEvent], bytes: Int) in
            defer {
                submitted.events = []
                submitted.bytes = 0
                submitted.armed = false
            }
            return (submitted.events, submitted.bytes)
        }
        var batch = self.unwritten.withLock { unwritten -> [StoredEvent] in
            unwritten.events += taken.events
            unwritten.bytes += taken.bytes
            self.dropOverflow(&unwritten)
            return unwritten.events
        }
        guard !batch.isEmpty else { return 0 }
        var written = 0
        while written < batch.count {
            let end = min(batch.count, written + Self.maxBatch)
            let started = Self.monotonicSeconds()
            do {
                try self.store.append(Array(batch[written..<end]))
            } catch {
                self.failed(error, remaining: batch.count - written, closing: closing)
                batch.removeFirst(written)
                self.keepUnwritten(batch)
                return batch.count
            }
            // Made on use, so it goes to the metrics backend bootstrapped by then.
            Metrics.Timer(label: "beacon_store_write_duration_seconds", preferredDisplayUnit: .seconds).recordNanoseconds(Int64((Self.monotonicSeconds() - started) * 1e9))
            let through = batch[end - 1].id
            self.counters.withLock { $0.committedThrough = through }
            written = end
        }
        self.recovered(rows: written)
        self.keepUnwritten([])
        return 0
    }

    private func keepUnwritten(_ events: [StoredEvent]) {
        self.unwritten.withLock { unwritten in
            unwritten.bytes = events.reduce(0) { $0 + Self.weight($1) }
            unwritten.events = events
        }
    }

    /// About what an event held for writing takes in memory.
    private static func weight(_ event: StoredEvent) -> Int {
        event.data.count + event.stream.utf8.count + event.event.utf8.count + 64
    }

    /// Past ``maxQueuedBytes``, drops the oldest unwritten events and remembers up to which id.
    private func dropOverflow(_ unwritten: inout Unwritten) {
        guard unwritten.bytes > Self.maxQueuedBytes else { return }
        var dropped = 0
        var bytes = unwritten.bytes
        while bytes > Self.maxQueuedBytes * 3 / 4, dropped < unwritten.events.count {
            let event = unwritten.events[dropped]
            bytes -= Self.weight(event)
            dropped += 1
        }
        guard dropped > 0 else { return }
        let through = unwritten.events[dropped - 1].id
        unwritten.events.removeFirst(dropped)
        unwritten.bytes = bytes
        self.counters.withLock {
            $0.droppedEvents += dropped
            $0.droppedThrough = max($0.droppedThrough, through)
        }
        self.logger.error(
            "event store: dropped \(dropped) unwritten events (through id \(through)) after failing writes; resumes from before them get reset",
            metadata: ["store_dropped": "\(dropped)"])
    }

    private func failed(_ error: StoreError, remaining: Int, closing: Bool) {
        self.counters.withLock { $0.writeErrors += 1 }
        let now = Self.monotonicSeconds()
        let log = self.unwritten.withLock { unwritten -> Int? in
            unwritten.unlogged += 1
            guard closing || now - unwritten.lastLogged >= 60 else { return nil }
            unwritten.lastLogged = now
            defer { unwritten.unlogged = 0 }
            return unwritten.unlogged
        }
        let rearm = self.submitted.withLock { submitted -> Bool in
            submitted.failing = true
            guard !submitted.armed, !submitted.closed else { return false }
            submitted.armed = true
            return true
        }
        if rearm { self.queue.asyncAfter(deadline: .now() + Self.retryDelay) { self.commit() } }
        if let log {
            self.logger.error(
                "event store write failed (\(log) failure\(log == 1 ? "" : "s") since the last report; \(remaining) events waiting, kept in memory and retried every \(Int(Self.retryDelay)) s; streams go on): \(error)",
                metadata: ["store_waiting": "\(remaining)"])
        }
    }

    private func recovered(rows: Int) {
        let wasFailing = self.submitted.withLock { submitted -> Bool in
            defer { submitted.failing = false }
            return submitted.failing
        }
        if wasFailing {
            self.unwritten.withLock { $0.lastLogged = -.infinity }
            self.logger.notice("event store writes work again: \(rows) waiting events written")
        }
    }

    // MARK: Retention

    /// Deletes events older than `seconds`, now and every `interval` seconds, a bounded number of
    /// rows per step so commits go on in between.
    public func startRetention(seconds: Double, interval: Double) {
        self.queue.asyncAfter(deadline: .now() + min(interval, 5)) { self.retain(seconds: seconds, interval: interval) }
    }

    private func retain(seconds: Double, interval: Double) {
        if self.submitted.withLock({ $0.closed }) { return }
        let cutoff = Self.unixMilliseconds() - Int64(seconds * 1000)
        do {
            let pass = try self.store.deleteEvents(before: cutoff, limit: Self.maxBatch)
            self.counters.withLock {
                $0.deletedRows += pass.deleted
                $0.deletedThrough = max($0.deletedThrough, pass.deletedThrough)
            }
            if pass.deleted == Self.maxBatch {
                // More to delete: the next step goes behind the commits queued meanwhile.
                self.queue.async { self.retain(seconds: seconds, interval: interval) }
                return
            }
        } catch {
            self.counters.withLock { $0.writeErrors += 1 }
            self.logger.warning("event store retention failed, retried in \(Int(interval)) s: \(error)")
        }
        self.queue.asyncAfter(deadline: .now() + interval) { self.retain(seconds: seconds, interval: interval) }
    }

    // MARK: Clocks

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }

    /// Unix time now in milliseconds.
    public static func unixMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1000 + Int64(now.tv_nsec) / 1_000_000
    }
}
