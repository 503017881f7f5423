import NIOConcurrencyHelpers
import Synchronization

/// A subscriber cut off because its client stopped reading, as reported to the hub's observer.
public struct StalledSubscriber: Sendable {
    /// The client's address, `IP:port`, or `?` when the socket no longer knows it.
    public let peer: String
    /// How long the connection had been unwritable.
    public let unwritableSeconds: Double
    /// Conflated events (one per stream at most) that were waiting for it.
    public let pendingEvents: Int
}

/// The hub's counters, shared by its fan-outs. Loops add to them in batches (once per drain or
/// tick, never per subscriber and event), so the hot path stays free of shared writes.
final class HubCounters: Sendable {
    private let stalled = Atomic<Int>(0)
    private let conflated = Atomic<Int>(0)
    private let observer = NIOLockedValueBox<(@Sendable (StalledSubscriber) -> Void)?>(nil)
    private let delivered = NIOLockedValueBox<[String: StreamDelivery]>([:])

    /// Events and bytes written to subscribers so far, per stream.
    var deliveries: [String: StreamDelivery] { self.delivered.withLockedValue { $0 } }

    /// Adds one drain's worth of deliveries (one lock per drain, not per event).
    func addDelivered(_ batch: [String: StreamDelivery]) {
        self.delivered.withLockedValue { totals in
            for (stream, delivery) in batch {
                totals[stream, default: StreamDelivery()].events += delivery.events
                totals[stream, default: StreamDelivery()].bytes += delivery.bytes
            }
        }
    }

    var stalledDisconnects: Int { self.stalled.load(ordering: .relaxed) }
    var conflatedEvents: Int { self.conflated.load(ordering: .relaxed) }

    func addConflated(_ count: Int) {
        self.conflated.wrappingAdd(count, ordering: .relaxed)
    }

    /// Counts a stall disconnect and tells the observer (rare: off the hot path).
    func reportStall(_ stall: StalledSubscriber) {
        self.stalled.wrappingAdd(1, ordering: .relaxed)
        self.observer.withLockedValue { $0 }?(stall)
    }

    func setObserver(_ observer: (@Sendable (StalledSubscriber) -> Void)?) {
        self.observer.withLockedValue { $0 = observer }
    }
}

/// What one stream has delivered: events written to subscribers, and their bytes on the wire.
public struct StreamDelivery: Sendable, Equatable {
    public var events = 0
    public var bytes = 0

    public init(events: Int = 0, bytes: Int = 0) {
        self.events = events
        self.bytes = bytes
    }
}
