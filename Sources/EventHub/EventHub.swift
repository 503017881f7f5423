import Dispatch
public import EventStore
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Thread-safe. Named streams (one per plugin), their history and ids, subscribers, fan-out.
///
/// Event ids come from one hub-wide counter starting at (Unix time in ms at creation) × 1000,
/// or above the highest id of its store if that is higher, so ids only grow across restarts.
/// An id below ``idBase`` is from before a restart: without a store it cannot be resumed; with
/// one, it can when the store holds it. Each event is encoded once, as an HTTP/1.1 chunk, and
/// that one buffer is written to every subscriber; with a store, it is also handed to the
/// store's batching writer (under the hub's lock, so in id order).
public final class EventHub: Sendable {
    /// The configuration the hub was created with.
    public let configuration: EventHubConfiguration
    /// The first id this hub assigns.
    let idBase: UInt64
    let registry: NIOLockedValueBox<Registry>
    let retryFrame: SSEFrame
    let counters = HubCounters()
    let tickSchedule: TickSchedule
    /// The durable store, if any.
    let storage: HubStorage?
    /// Where store reads run: never on an event loop.
    let storeReads = DispatchQueue(label: "beacon-store-reader")

    /// Everything guarded by the hub's lock. Critical sections stay tiny: assign an id, append
    /// to history, queue the shared buffer for the interested loops.
    struct Registry {
        var nextId: UInt64
        /// Counts everything fanned out (events and `done`s); see ``FramedEvent/sequence``.
        var sequence: UInt64 = 0
        var streams: [String: StreamRecord] = [:]
        /// With a store: streams not added (yet, or any more) whose latest events are known,
        /// restored from the store or kept from before their removal.
        var dormant: [String: StreamRecord] = [:]
        /// The highest id the store held at start (0 without a store): ids up to it can be resumed.
        var restoredThrough: UInt64 = 0
        var fanouts: [LoopFanout] = []
        var isShutDown = false
        /// Ids are given by the store (a cluster): events come in through ``publishCommitted(_:)``,
        /// and a resume from an id this hub has not reached yet waits for it in the store.
        var committedIds = false
    }

    /// Creates an empty hub; event ids start at (Unix time in ms now) × 1000. With `storage`,
    /// ids start above its highest stored id if that is higher, every event is written to it,
    /// and each stream's latest stored event is served as its latest until it publishes again.
    public convenience init(configuration: EventHubConfiguration, storage: HubStorage? = nil) {
        let clock = EventHub.unixMilliseconds() * 1000
        self.init(configuration: configuration, idBase: max(clock, (storage?.opening.highestId ?? 0) + 1), storage: storage)
    }

    /// Creates a hub whose events and ids come from `storage`'s commits (a cluster's shared store):
    /// each is handed in by ``publishCommitted(_:)`` in id order, and ``publish(stream:event:json:)``
    /// is not used. Ids start above the store's highest.
    public convenience init(configuration: EventHubConfiguration, committedTo storage: HubStorage) {
        self.init(configuration: configuration, idBase: 1, storage: storage, committedIds: true)
    }

    init(configuration: EventHubConfiguration, idBase: UInt64, storage: HubStorage? = nil, committedIds: Bool = false) {
        self.configuration = configuration
        self.idBase = idBase
        self.storage = storage
        var registry = Registry(nextId: committedIds ? (storage?.opening.highestId ?? 0) + 1 : idBase)
        registry.committedIds = committedIds
        if let opening = storage?.opening {
            registry.restoredThrough = opening.highestId
            for event in opening.latest {
                var record = StreamRecord(name: event.stream, limit: configuration.historyLimit, olderThan: max(event.id, 1) - 1)
                record.append(
                    FramedEvent(
                        id: event.id, sequence: 0, stream: event.stream, frame: EventHub.frame(event), status: event.status),
                    at: event.unixMilliseconds)
                registry.dormant[event.stream] = record
            }
        }
        self.registry = NIOLockedValueBox(registry)
        self.retryFrame = SSEFrame(sse: "retry: \(max(0, configuration.retryMilliseconds))\n\n")
        self.tickSchedule = TickSchedule(
            heartbeatSeconds: configuration.heartbeatSeconds, stallTimeoutSeconds: configuration.stallTimeout)
    }

    /// A stored event framed as it was sent.
    static func frame(_ event: StoredEvent) -> SSEFrame {
        var prepared = SSEEncoder.prepare(event: event.event, data: event.data)
        return SSEEncoder.finish(&prepared, id: event.id)
    }

    static func unixMilliseconds() -> UInt64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return UInt64(max(0, now.tv_sec)) * 1000 + UInt64(max(0, now.tv_nsec)) / 1_000_000
    }

    /// Adds a stream; idempotent. Subscribers of `/events` (all streams) include it from now on.
    /// With a store, a stream it knows comes back with its latest event.
    public func addStream(_ name: String) {
        let limit = self.configuration.historyLimit
        let stored = self.storage != nil
        self.registry.withLockedValue { registry in
            guard registry.streams[name] == nil else { return }
            if let record = registry.dormant.removeValue(forKey: name) {
                registry.streams[name] = record
            } else {
                // The store may hold events of this name from before: memory has none of them.
                registry.streams[name] = StreamRecord(name: name, limit: limit, olderThan: stored ? registry.nextId - 1 : 0)
            }
        }
    }

    /// Publishes one event on `stream`, from any thread: assigns the next id, keeps it in the
    /// stream's history and sends it to the stream's subscribers.
    ///
    /// `json` is the already-encoded data; line breaks in it, if any, become separate `data:`
    /// lines. `status` and `statusSince` (Unix ms) are the stream's level once this event is
    /// published, kept in history and in the store. Publishing on a stream that was never added
    /// (or was removed) does nothing.
    public func publish(stream: String, event: String, json: [UInt8], status: String? = nil, statusSince: Int64? = nil) {
        var prepared = SSEEncoder.prepare(event: event, data: json)
        let time = Int64(EventHub.unixMilliseconds())
        let writer = self.storage?.writer
        var wake: [LoopFanout] = []
        self.registry.withLockedValue { registry in
            guard !registry.isShutDown, let index = registry.streams.index(forKey: stream) else { return }
            let id = registry.nextId
            registry.nextId += 1
            registry.sequence += 1
            let item = FramedEvent(
                id: id, sequence: registry.sequence, stream: stream, frame: SSEEncoder.finish(&prepared, id: id),
                status: status)
            registry.streams.values[index].append(item, at: time)
            writer?.submit(StoredEvent(
                id: id, stream: stream, event: event, data: json, unixMilliseconds: time, status: status,
                statusSince: statusSince))
            for fanout in registry.fanouts where fanout.enqueue(.event(item), ifInterestedIn: stream) {
                wake.append(fanout)
            }
        }
        for fanout in wake { fanout.schedule() }
    }

    /// Publishes an event the store has committed with its id (a hub made with
    /// `committedTo:`), from any thread, in id order: ids at or below the last one handed in are
    /// ignored. An event of a stream not added here is kept as that stream's latest until it is.
    public func publishCommitted(_ event: StoredEvent) {
        let frame = EventHub.frame(event)
        let limit = self.configuration.historyLimit
        var wake: [LoopFanout] = []
        self.registry.withLockedValue { registry in
            guard !registry.isShutDown, event.id >= registry.nextId else { return }
            registry.nextId = event.id + 1
            registry.sequence += 1
            let item = FramedEvent(
                id: event.id, sequence: registry.sequence, stream: event.stream, frame: frame, status: event.status)
            guard let index = registry.streams.index(forKey: event.stream) else {
                registry.dormant[event.stream, default: StreamRecord(name: event.stream, limit: limit, olderThan: event.id - 1)]
                    .append(item, at: event.unixMilliseconds)
                return
            }
            registry.streams.values[index].append(item, at: event.unixMilliseconds)
            for fanout in registry.fanouts where fanout.enqueue(.event(item), ifInterestedIn: event.stream) {
                wake.append(fanout)
            }
        }
        for fanout in wake { fanout.schedule() }
    }

    /// The highest id handed in or assigned so far (0 when none).
    public var lastId: UInt64 {
        self.registry.withLockedValue { $0.nextId - 1 }
    }

    /// Sends event `done` with data `{"plugin":NAME,"reason":REASON}` to the stream's subscribers,
    /// ends its single-stream subscribers (multiplexed ones stay open) and forgets the stream.
    public func removeStream(_ name: String, reason: DoneReason) {
        let done = EventHub.doneFrame(stream: name, reason: reason)
        var wake: [LoopFanout] = []
        let stored = self.storage != nil
        self.registry.withLockedValue { registry in
            guard let record = registry.streams.removeValue(forKey: name) else { return }
            // Its stored events stay: if it comes back, it goes on from its latest.
            if stored { registry.dormant[name] = record }
            registry.sequence += 1
            let item = FramedEvent(id: 0, sequence: registry.sequence, stream: name, frame: done)
            for fanout in registry.fanouts where fanout.enqueue(.done(item), ifInterestedIn: name) {
                wake.append(fanout)
            }
        }
        for fanout in wake { fanout.schedule() }
    }

    /// Sends `done` (with `reason`) for every stream to its subscribers, then ends every response.
    /// Later publishes are ignored and later subscriptions refused.
    public func shutdown(reason: DoneReason = .shutdown) {
        let snapshot: (names: [String], sequence: UInt64, fanouts: [LoopFanout])? = self.registry.withLockedValue {
            registry in
            guard !registry.isShutDown else { return nil }
            registry.isShutDown = true
            registry.sequence += 1
            return (Array(registry.streams.keys).sorted(), registry.sequence, registry.fanouts)
        }
        guard let snapshot else { return }
        let dones = snapshot.names.map {
            FramedEvent(id: 0, sequence: snapshot.sequence, stream: $0, frame: EventHub.doneFrame(stream: $0, reason: reason))
        }
        for fanout in snapshot.fanouts where fanout.enqueue(.shutdown(dones), ifInterestedIn: nil) {
            fanout.schedule()
        }
    }

    static func doneFrame(stream: String, reason: DoneReason) -> SSEFrame {
        let json = "{\"plugin\":\(JSONText.quoted(stream)),\"reason\":\"\(reason.rawValue)\"}"
        return SSEEncoder.frame(event: "done", data: Array(json.utf8))
    }

    /// The names of the current streams, sorted.
    public var streamNames: [String] {
        self.registry.withLockedValue { $0.streams.keys.sorted() }
    }

    /// How many subscribers (connections) are attached now.
    public var subscriberCount: Int {
        self.registry.withLockedValue { $0.fanouts }.reduce(0) { $0 + $1.subscriberCount }
    }

    /// Subscribers disconnected so far because their client stopped reading for longer than
    /// ``EventHubConfiguration/stallTimeout``.
    public var stalledDisconnects: Int { self.counters.stalledDisconnects }

    /// Events dropped so far for slow clients because a newer event of the same stream replaced
    /// them while the client's connection was unwritable.
    public var conflatedEvents: Int { self.counters.conflatedEvents }

    /// The stream's most recent events, oldest first, at most `limit` (for status pages):
    /// each event's id, name and data as the wire carries them.
    public func recentEvents(of stream: String, limit: Int) -> [RecentEvent] {
        let frames = self.registry.withLockedValue { registry -> [FramedEvent] in
            guard let record = registry.streams[stream] else { return [] }
            return Array(record.history.suffix(max(0, limit)))
        }
        return frames.map { RecentEvent(frame: $0) }
    }

    /// Events and bytes written to subscribers so far, per stream (for metrics).
    public var deliveries: [String: StreamDelivery] { self.counters.deliveries }

    /// Subscribers per stream: those of that stream alone or in a list, plus those of `/events`.
    public var subscribersPerStream: [String: Int] {
        let (names, fanouts) = self.registry.withLockedValue { (Array($0.streams.keys), $0.fanouts) }
        var counts: [String: Int] = [:]
        var all = 0
        for fanout in fanouts {
            let interest = fanout.interest
            all += interest.all
            for (name, count) in interest.byStream { counts[name, default: 0] += count }
        }
        return Dictionary(uniqueKeysWithValues: names.map { ($0, counts[$0, default: 0] + all) })
    }

    /// Sets what is called, on an event loop, each time a stalled subscriber is disconnected
    /// (the server logs it). Replaces any earlier observer; nil removes it. Must not block.
    public func onStalledDisconnect(_ observer: (@Sendable (StalledSubscriber) -> Void)?) {
        self.counters.setObserver(observer)
    }
}
