import Dispatch
public import EventStore
public import Logging
public import PostgresEventStore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// This node's membership: a heartbeat on a queue of its own renews its row and its leases in
/// PostgreSQL, takes its fair share of plugins nobody live leads, and gives back extras.
///
/// A lease is trusted here only until `leaseSeconds` after the renewing query was SENT, on the
/// local monotonic clock, minus a margin: the database keeps it `leaseSeconds` after it ran the
/// query, which is later, so this node stops running a plugin's checks before any other node can
/// take it. A node that is frozen, or cannot reach the database, sees its deadline pass and runs
/// nothing until a heartbeat succeeds again: at the deadline, a timer of its own (not the
/// heartbeat's queue, which may be waiting on the database) reports every lease as lost, and
/// the runs in flight stop then, not when they end.
public final class ClusterNode: Sendable {
    public struct Settings: Sendable {
        /// How long a lease lasts after its last renewal.
        public var leaseSeconds: Double = 1.2
        /// How often the heartbeat runs.
        public var heartbeatInterval: Double = 0.25

        public init(leaseSeconds: Double = 1.2, heartbeatInterval: Double = 0.25) {
            self.leaseSeconds = leaseSeconds
            self.heartbeatInterval = heartbeatInterval
        }
    }

    /// A lease as this node holds it.
    struct Held: Sendable {
        var token: Int64
        var lastSeq: Int64
    }

    struct State {
        var name = ""
        /// How other nodes and operators reach this node (shown in `/cluster`).
        var address = ""
        var nodeId: Int64?
        var held: [String: Held] = [:]
        /// Monotonic seconds after which no lease is trusted.
        var deadline: Double = -.infinity
        var plugins: [String: String] = [:]
        var pluginsChanged = true
        var release: [String] = []
        var answer: HeartbeatAnswer?
        var reachable = false
        /// Monotonic seconds when a heartbeat last succeeded.
        var lastAnswerAt: Double = -.infinity
        var lastError: String?
        var lastLogged: Double = -.infinity
        var stopping = false
        var timer: (any DispatchSourceTimer)?
        /// Whether the leases held were reported lost since the deadline passed.
        var lapseReported = false
    }

    public let settings: Settings
    let store: PostgresEventStore
    private let logger: Logger
    private let queue = DispatchQueue(label: "beacon-cluster-heartbeat")
    let state = Mutex(State())
    /// Called with the plugins this node is about to lead, before it may run them (on the
    /// heartbeat queue).
    private let taking: @Sendable ([String]) -> Void
    /// Called with the plugins this node has just become leader of (on the heartbeat queue).
    private let gained: @Sendable ([String]) -> Void
    /// Called with the plugins this node no longer leads, or whose leases it can no longer
    /// confirm (their runs in flight must stop now).
    private let lost: @Sendable ([String]) -> Void
    /// Fires at the lease deadline; on a queue of its own, so it fires while a heartbeat waits.
    /// (A Dispatch source may be rescheduled from any thread.)
    nonisolated(unsafe) private let lapseTimer: any DispatchSourceTimer

    public init(
        settings: Settings, store: PostgresEventStore, logger: Logger,
        taking: @escaping @Sendable ([String]) -> Void = { _ in },
        gained: @escaping @Sendable ([String]) -> Void, lost: @escaping @Sendable ([String]) -> Void = { _ in }
    ) {
        self.settings = settings
        self.store = store
        self.logger = logger
        self.taking = taking
        self.gained = gained
        self.lost = lost
        self.lapseTimer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "beacon-cluster-lease-deadline"))
        self.lapseTimer.setEventHandler { [weak self] in self?.deadlinePassed() }
        self.lapseTimer.schedule(deadline: .distantFuture)
        self.lapseTimer.activate()
    }

    deinit { self.lapseTimer.cancel() }

    /// Whether this node may run plugin `name` now: it holds its lease and the lease is
    /// confirmed within its deadline.
    public func mayRun(_ name: String) -> Bool {
        let now = Self.monotonicSeconds()
        return self.state.withLock { $0.deadline > now && $0.held[name] != nil }
    }

    /// The token and last committed seq of `name`'s lease while it is confirmed; nil otherwise.
    func lease(of name: String) -> Held? {
        let now = Self.monotonicSeconds()
        return self.state.withLock { $0.deadline > now ? $0.held[name] : nil }
    }

    /// Whether leases are confirmed now (a heartbeat succeeded within the lease).
    public var isConfirmed: Bool {
        let now = Self.monotonicSeconds()
        return self.state.withLock { $0.deadline > now }
    }

    /// Whether the last heartbeat reached the database.
    public var isReachable: Bool { self.view.reachable }

    /// How long without a successful heartbeat makes the database count as unreachable, also
    /// while a heartbeat is still waiting for its answer (a database that hangs, a link that
    /// drops every packet).
    public static let unansweredAfter = 5.0

    /// Sets the plugins of this node's folder (name → content hash); sent with the next heartbeat.
    public func setPlugins(_ plugins: [String: String]) {
        self.state.withLock {
            $0.plugins = plugins
            $0.pluginsChanged = true
        }
    }

    /// What the last heartbeat learned.
    public var view: (answer: HeartbeatAnswer?, plugins: [String: String], reachable: Bool, error: String?) {
        let now = Self.monotonicSeconds()
        return self.state.withLock { state in
            let silent = now - state.lastAnswerAt
            guard state.reachable, silent >= Self.unansweredAfter else {
                return (state.answer, state.plugins, state.reachable, state.lastError)
            }
            return (state.answer, state.plugins, false, "no answer to this node's heartbeat for \(Int(silent)) s")
        }
    }

    /// This node's name.
    public var name: String { self.state.withLock { $0.name } }

    /// Joins as `name` (reached at `address`): the first heartbeat now, then one every interval.
    public func start(name: String, address: String) {
        self.state.withLock {
            $0.name = name
            $0.address = address
        }
        self.state.withLock { state in
            let timer = DispatchSource.makeTimerSource(queue: self.queue)
            timer.schedule(deadline: .now(), repeating: self.settings.heartbeatInterval, leeway: .milliseconds(10))
            timer.setEventHandler { [weak self] in self?.beat() }
            state.timer = timer
            timer.resume()
        }
    }

    /// Leaves: no more runs here, every lease given back so the others take them at once.
    public func stop() {
        let (timer, nodeId) = self.state.withLock { state -> ((any DispatchSourceTimer)?, Int64?) in
            state.stopping = true
            state.held = [:]
            state.deadline = -.infinity
            defer { state.timer = nil }
            return (state.timer, state.nodeId)
        }
        timer?.cancel()
        self.lapseTimer.schedule(deadline: .distantFuture)
        self.queue.sync {
            guard let nodeId else { return }
            do {
                try self.store.leave(nodeId: nodeId)
            } catch {
                self.logger.warning("cluster: could not give back leases on leaving (the other nodes take them when they expire): \(error)")
            }
        }
    }

    private func beat() {
        let sent = Self.monotonicSeconds()
        let request = self.state.withLock { state -> (Int64?, [String: String]?, [String], String, String)? in
            guard !state.stopping else { return nil }
            defer {
                state.pluginsChanged = false
                state.release = []
            }
            return (state.nodeId, state.pluginsChanged ? state.plugins : nil, state.release, state.name, state.address)
        }
        guard let (nodeId, plugins, release, name, address) = request else { return }
        let margin = min(0.2, self.settings.leaseSeconds / 5)
        let answer: HeartbeatAnswer
        do {
            answer = try self.store.heartbeat(
                nodeId: nodeId, name: name, address: address,
                leaseSeconds: self.settings.leaseSeconds, plugins: plugins, release: release, canTake: true
            ) {
                // Renewed before the old deadline passed (so before the row could expire): the
                // leases stayed this node's throughout, and hold until the new deadline.
                let answered = Self.monotonicSeconds()
                self.state.withLock { state in
                    if answered < state.deadline { state.deadline = sent + self.settings.leaseSeconds - margin }
                }
            }
        } catch {
            self.failed(error, pluginsUnsent: plugins != nil, release: release)
            return
        }
        let taking = self.state.withLock { state in
            state.stopping ? [] : answer.leases.filter { state.held[$0.plugin]?.token != $0.token }.map(\.plugin)
        }
        if !taking.isEmpty { self.taking(taking.sorted()) }
        let (gained, lost, deadline) = self.state.withLock { state -> ([String], [String], Double) in
            let wasReachable = state.reachable
            state.reachable = true
            state.lastAnswerAt = Self.monotonicSeconds()
            state.lastError = nil
            if !wasReachable, state.lastLogged > -.infinity {
                self.logger.notice("cluster: PostgreSQL reachable again")
                state.lastLogged = -.infinity
            }
            if state.nodeId != answer.nodeId, state.nodeId != nil || plugins == nil {
                // A new incarnation (the old row was forgotten): its plugins go with the next beat.
                state.pluginsChanged = true
            }
            state.nodeId = answer.nodeId
            state.answer = answer
            guard !state.stopping else { return ([], [], state.deadline) }
            var held: [String: Held] = [:]
            var gained: [String] = []
            for grant in answer.leases {
                if let old = state.held[grant.plugin], old.token == grant.token {
                    held[grant.plugin] = old
                } else {
                    held[grant.plugin] = Held(token: grant.token, lastSeq: grant.lastSeq)
                    gained.append(grant.plugin)
                }
            }
            // More than a fair share while a live node has less: give the extras back. They stop
            // here now, and the next heartbeat frees them in the database.
            let share = answer.fairShare
            if held.count > share, answer.members.contains(where: { $0.id != answer.nodeId && $0.leads < share }) {
                let extras = held.keys.sorted().suffix(held.count - share)
                for name in extras { held[name] = nil }
                state.release = Array(extras)
                gained.removeAll { extras.contains($0) }
            }
            // Leases gone since the last beat (taken over while this node was away, or given
            // back above); after a lapse every lease was reported lost already.
            let lost = state.lapseReported ? [] : state.held.keys.filter { held[$0] == nil }
            state.held = held
            state.deadline = sent + self.settings.leaseSeconds - margin
            state.lapseReported = false
            return (gained, lost, state.deadline)
        }
        self.lapseTimer.schedule(deadline: .now() + max(0, deadline - Self.monotonicSeconds()))
        if !lost.isEmpty { self.lost(lost.sorted()) }
        if !gained.isEmpty { self.gained(gained.sorted()) }
    }

    /// At the lease deadline, on the timer's queue: when no heartbeat confirmed the leases
    /// meanwhile, every lease held is reported lost once (they stay listed: a heartbeat that
    /// confirms them before another node takes them keeps them). Otherwise waits for the new deadline.
    private func deadlinePassed() {
        let now = Self.monotonicSeconds()
        let (lapsed, deadline) = self.state.withLock { state -> ([String], Double) in
            guard now >= state.deadline else { return ([], state.deadline) }
            guard !state.lapseReported, !state.stopping else { return ([], .infinity) }
            state.lapseReported = true
            return (Array(state.held.keys), .infinity)
        }
        if deadline < .infinity {
            self.lapseTimer.schedule(deadline: .now() + max(0, deadline - now))
        }
        guard !lapsed.isEmpty else { return }
        self.logger.warning(
            "cluster: the leases of \(lapsed.count) plugin\(lapsed.count == 1 ? "" : "s") could not be confirmed in time (PostgreSQL unreachable, or this node was paused); their checks stop here until a heartbeat succeeds")
        self.lost(lapsed.sorted())
    }

    private func failed(_ error: StoreError, pluginsUnsent: Bool, release: [String]) {
        let now = Self.monotonicSeconds()
        let log = self.state.withLock { state -> Bool in
            state.reachable = false
            state.lastError = error.description
            if pluginsUnsent { state.pluginsChanged = true }
            state.release += release
            guard now - state.lastLogged >= 60 else { return false }
            state.lastLogged = now
            return true
        }
        if log {
            self.logger.error(
                "cluster: heartbeat failed; no check runs here until PostgreSQL answers again (retried every \(self.settings.heartbeatInterval) s): \(error)")
        }
    }

    /// After a refused commit: the lease's last seq as the database has it, when still ours.
    func resync(_ plugins: [String]) {
        guard let states = try? self.store.leaseStates(plugins) else { return }
        self.state.withLock { state in
            for (plugin, token, lastSeq) in states where state.held[plugin]?.token == token {
                state.held[plugin]?.lastSeq = lastSeq
            }
        }
    }

    /// Records a commit of `name`'s events up to `seq`.
    func committed(_ name: String, token: Int64, through seq: Int64) {
        self.state.withLock { state in
            guard var held = state.held[name], held.token == token else { return }
            held.lastSeq = max(held.lastSeq, seq)
            state.held[name] = held
        }
    }

    static func monotonicSeconds() -> Double {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Double(now.tv_sec) + Double(now.tv_nsec) / 1e9
    }
}
