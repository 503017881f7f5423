import Dispatch
public import EventStore
public import Logging
public import PostgresEventStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// Commits this node's check results to the shared store, fenced by each plugin's lease, in
/// batches on a queue of its own (at most ``batchDelay`` behind the first event of a batch).
///
/// A result is committed only while this node's leases are confirmed and it leads the plugin;
/// the database checks the lease's token again in the committing transaction. A commit that
/// fails is retried with the same seqs, so a batch that did commit before its answer was lost is
/// refused the second time instead of being written twice.
public final class ClusterWriter: Sendable {
    static let batchDelay = 0.005
    static let retryDelay = 0.2
    /// Most results kept while the database is away; past it the oldest are dropped.
    static let maxWaiting = 100_000

    struct Pending: Sendable {
        var events: [StoredEvent] = []
        var armed = false
        var closed = false
    }

    private let store: PostgresEventStore
    private let node: ClusterNode
    private let logger: Logger
    private let queue = DispatchQueue(label: "beacon-cluster-writer")
    private let pending = Mutex(Pending())
    /// Called after each commit (to read the new events into the local hub at once).
    private let committed: @Sendable () -> Void
    /// Results dropped: refused by the fence, or produced after this node lost the lease.
    let refusedCount = Atomic<Int>(0)

    public init(store: PostgresEventStore, node: ClusterNode, logger: Logger, committed: @escaping @Sendable () -> Void) {
        self.store = store
        self.node = node
        self.logger = logger
        self.committed = committed
    }

    /// Queues a result of plugin `event.stream` (its id is given at commit). Never blocks.
    public func submit(_ event: StoredEvent) {
        let arm = self.pending.withLock { pending -> Bool in
            guard !pending.closed else { return false }
            pending.events.append(event)
            if pending.events.count > Self.maxWaiting { pending.events.removeFirst(pending.events.count - Self.maxWaiting) }
            guard !pending.armed else { return false }
            pending.armed = true
            return true
        }
        if arm { self.queue.asyncAfter(deadline: .now() + Self.batchDelay) { self.commit() } }
    }

    /// Commits what is waiting, for up to `timeout` seconds (for SIGTERM); returns how many
    /// results could not be committed.
    public func close(timeout: Double) -> Int {
        let deadline = ClusterNode.monotonicSeconds() + timeout
        while true {
            let left = self.queue.sync { () -> Int in
                self.commit(rearm: false)
                return self.pending.withLock { $0.events.count }
            }
            if left == 0 || ClusterNode.monotonicSeconds() >= deadline {
                self.pending.withLock { $0.closed = true }
                return left
            }
            usleep(50_000)
        }
    }

    private func commit(rearm: Bool = true) {
        guard self.node.isConfirmed else {
            // Leases unconfirmed (database away, or this node was frozen): keep the results until
            // a heartbeat confirms them again; the fence decides then.
            if rearm { self.queue.asyncAfter(deadline: .now() + Self.retryDelay) { self.commit() } }
            return
        }
        let batch = self.pending.withLock { pending -> [StoredEvent] in
            defer { pending.events = [] }
            return pending.events
        }
        guard !batch.isEmpty else {
            self.pending.withLock { $0.armed = false }
            return
        }
        var fenced: [FencedEvent] = []
        var next: [String: (token: Int64, seq: Int64)] = [:]
        var notLeader = 0
        for event in batch {
            if next[event.stream] == nil {
                guard let held = self.node.lease(of: event.stream) else {
                    notLeader += 1
                    continue
                }
                next[event.stream] = (held.token, held.lastSeq)
            }
            guard let (token, seq) = next[event.stream] else { continue }
            next[event.stream] = (token, seq + 1)
            fenced.append(FencedEvent(event: event, token: token, seq: seq + 1))
        }
        if notLeader > 0 {
            self.refusedCount.add(notLeader, ordering: .relaxed)
            self.logger.warning("cluster: \(notLeader) results dropped: this node no longer leads their plugins")
        }
        do {
            let result = try self.store.append(fenced: fenced, node: self.node.name)
            for (plugin, span) in next where !result.refused.contains(plugin) {
                self.node.committed(plugin, token: span.token, through: span.seq)
            }
            if !result.refused.isEmpty {
                let count = fenced.filter { result.refused.contains($0.event.stream) }.count
                self.refusedCount.add(count, ordering: .relaxed)
                self.logger.warning(
                    "cluster: \(count) results of \(result.refused.joined(separator: ", ")) refused by the lease fence (another node leads, or they were committed already)")
                self.node.resync(result.refused)
            }
            if !result.committed.isEmpty { self.committed() }
        } catch {
            // Kept in order before anything submitted since, and tried again with the same seqs.
            self.pending.withLock { $0.events = batch + $0.events }
            self.logger.debug("cluster: commit failed, retried in \(Self.retryDelay) s: \(error)")
            if rearm { self.queue.asyncAfter(deadline: .now() + Self.retryDelay) { self.commit() } }
            return
        }
        let more = self.pending.withLock { pending -> Bool in
            if pending.events.isEmpty { pending.armed = false }
            return !pending.events.isEmpty
        }
        if more, rearm { self.queue.async { self.commit() } }
    }
}
