import Dispatch
public import EventHub
public import Logging
import NIOCore
public import PostgresEventStore
import PostgresNIO
import Synchronization

/// Brings every committed event into this node's hub, in id order, whichever node committed it.
///
/// A connection of its own LISTENs on `beacon_events`; a notification (or a local commit, or a
/// poll once a second) only says "look": the events are read from the table after the last id
/// the hub has, so missed or merged notifications never skip or repeat one. When the listening
/// connection breaks, it is opened again with back-off (0.1 s doubling to 2 s), and a catch-up
/// read follows every (re)connect.
public final class ClusterFeed: Sendable {
    static let pollInterval = 1.0
    /// Events per read (more are read in further reads). Small enough that PostgreSQL reads them
    /// through the id index also before it has statistics of a new table; with 10,000 it chose
    /// to scan the whole table.
    static let readLimit = 1_000

    struct State {
        var reading = false
        var again = false
        var backoff = 0.1
        var listening: PostgresConnection?
        var stopped = false
        var timer: (any DispatchSourceTimer)?
        var failing = false
    }

    private let store: PostgresEventStore
    private let hub: EventHub
    private let logger: Logger
    private let queue = DispatchQueue(label: "beacon-cluster-feed")
    private let state = Mutex(State())
    /// Each stream's level as its newest event read has it: (level name or nil, since in Unix ms).
    private let levels = Mutex([String: (status: String?, sinceMilliseconds: Int64)]())

    public init(store: PostgresEventStore, hub: EventHub, logger: Logger) {
        self.store = store
        self.hub = hub
        self.logger = logger
    }

    /// Each plugin's level as its newest committed event has it, for plugins whose events carry
    /// one: what its leader had when it committed them, without waiting for the leader's entry.
    public var latestLevels: [String: (status: String?, sinceMilliseconds: Int64)] { self.levels.withLock { $0 } }

    /// Whether the listening connection is up.
    public var isListening: Bool { self.state.withLock { $0.listening.map { !$0.isClosed } ?? false } }

    public func start() {
        self.state.withLock { state in
            let timer = DispatchSource.makeTimerSource(queue: self.queue)
            timer.schedule(deadline: .now() + Self.pollInterval, repeating: Self.pollInterval, leeway: .milliseconds(50))
            timer.setEventHandler { [weak self] in self?.catchUp() }
            state.timer = timer
            timer.resume()
        }
        self.queue.async { self.listen() }
    }

    public func stop() {
        let (timer, connection) = self.state.withLock { state in
            state.stopped = true
            defer { state.timer = nil; state.listening = nil }
            return (state.timer, state.listening)
        }
        timer?.cancel()
        if let connection { try? connection.close().wait() }
    }

    /// Reads new events soon (coalesced: one read at a time, and one more after it if asked meanwhile).
    public func wake() {
        let start = self.state.withLock { state -> Bool in
            if state.reading {
                state.again = true
                return false
            }
            state.reading = true
            return true
        }
        if start { self.queue.async { self.read() } }
    }

    private func catchUp() { self.wake() }

    private func read() {
        while true {
            do {
                while true {
                    let found = try self.store.events(after: self.hub.lastId, streams: nil, limit: Self.readLimit)
                    for event in found.events { self.hub.publishCommitted(event) }
                    self.levels.withLock { levels in
                        for event in found.events {
                            if let since = event.statusSince { levels[event.stream] = (event.status, since) }
                        }
                    }
                    if found.events.count < Self.readLimit { break }
                }
                self.state.withLock { $0.failing = false }
            } catch {
                let first = self.state.withLock { state -> Bool in
                    defer { state.failing = true }
                    return !state.failing
                }
                if first { self.logger.warning("cluster: reading new events failed, retried: \(error)") }
            }
            let again = self.state.withLock { state -> Bool in
                if state.again {
                    state.again = false
                    return true
                }
                state.reading = false
                return false
            }
            if !again { return }
        }
    }

    /// On the queue: opens the listening connection, LISTENs, catches up; on failure or when
    /// the connection closes later, tries again after the back-off.
    private func listen() {
        if self.state.withLock({ $0.stopped }) { return }
        let connection: PostgresConnection
        do {
            connection = try self.store.connector.connect()
            connection.addListener(channel: "beacon_events") { [weak self] _, _ in self?.wake() }
            try connection.run("LISTEN beacon_events")
        } catch {
            let delay = self.state.withLock { state -> Double in
                defer { state.backoff = min(2, state.backoff * 2) }
                return state.backoff
            }
            self.logger.debug("cluster: listening connection failed, again in \(delay) s: \(error)")
            self.queue.asyncAfter(deadline: .now() + delay) { self.listen() }
            return
        }
        let keep = self.state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            state.listening = connection
            state.backoff = 0.1
            return true
        }
        guard keep else {
            connection.close().whenComplete { _ in _ = connection }
            return
        }
        self.wake()
        connection.closeFuture.whenComplete { [weak self] _ in
            guard let self else { return }
            let again = self.state.withLock { state -> Bool in
                state.listening = nil
                return !state.stopped
            }
            if again {
                self.logger.warning("cluster: the listening connection to PostgreSQL closed; reconnecting")
                self.queue.asyncAfter(deadline: .now() + 0.1) { self.listen() }
            }
        }
    }
}
