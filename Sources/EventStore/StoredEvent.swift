/// One event as a store keeps it: what was published on a stream, with its hub-wide id.
public struct StoredEvent: Sendable, Equatable {
    /// The hub-wide event id; ids only grow, also across restarts on the same store.
    public var id: UInt64
    /// The stream (plugin) name.
    public var stream: String
    /// The `event:` name.
    public var event: String
    /// The `data:` bytes: one line of JSON for every event Beacon publishes.
    public var data: [UInt8]
    /// When it was published, in Unix milliseconds.
    public var unixMilliseconds: Int64
    /// The stream's level once this event was published ("ok", "warning", "critical",
    /// "unknown"), or nil when it had none.
    public var status: String?
    /// Unix milliseconds since when the stream has had `status`; nil when nothing was known of
    /// its level (and for events stored before levels were kept).
    public var statusSince: Int64?

    public init(
        id: UInt64, stream: String, event: String, data: [UInt8], unixMilliseconds: Int64, status: String? = nil,
        statusSince: Int64? = nil
    ) {
        self.id = id
        self.stream = stream
        self.event = event
        self.data = data
        self.unixMilliseconds = unixMilliseconds
        self.status = status
        self.statusSince = statusSince
    }
}
