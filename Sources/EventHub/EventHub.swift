/// Thread-safe. Named streams (one per plugin), their history and ids, subscribers, fan-out.
public final class EventHub: Sendable {
    /// The configuration the hub was created with.
    public let configuration: EventHubConfiguration

    /// Creates an empty hub; event ids start at (Unix time in ms now) × 1000.
    public init(configuration: EventHubConfiguration) {
        self.configuration = configuration
    }

    /// Adds a stream; idempotent. Subscribers of `/events` (all streams) include it from now on.
    public func addStream(_ name: String) {}

    /// Publishes one event on `stream`, from any thread. `json` is the already-encoded data.
    public func publish(stream: String, event: String, json: [UInt8]) {}

    /// Sends `done` to the stream's subscribers, closes its single-stream subscribers, forgets it.
    public func removeStream(_ name: String, reason: String) {}

    /// Sends `done` to every stream's subscribers, then closes all of them.
    public func shutdown(reason: String) {}

    /// The names of the current streams, sorted.
    public var streamNames: [String] { [] }

    /// How many subscribers (connections) are attached now.
    public var subscriberCount: Int { 0 }
}
