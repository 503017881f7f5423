/// A durable home for published events, shared by every store kind (a SQLite file, a database
/// server). Implementations are thread-safe; every call may block on I/O, so callers keep them
/// off event loops. Appends come from one writer at a time, in id order.
public protocol EventStore: Sendable {
    /// What the store holds at start: its highest id, the newest event of every stream, and the
    /// highest id retention has deleted.
    func opening() throws(StoreError) -> StoreOpening

    /// Appends `events` (in id order, ids above every stored one) in one transaction.
    func append(_ events: [StoredEvent]) throws(StoreError)

    /// Events with an id above `id`, oldest first, at most `limit`; only those of `streams`
    /// when given. The answer also says the highest id stored when it was read, so a caller
    /// knows that every event up to it was seen.
    func events(after id: UInt64, streams: [String]?, limit: Int) throws(StoreError) -> StoreRead

    /// A stream's events published in `range` (Unix milliseconds, both ends included), oldest
    /// first; the newest `limit` of them when there are more.
    func history(of stream: String, in range: ClosedRange<Int64>, limit: Int) throws(StoreError) -> [StoredEvent]

    /// Deletes up to `limit` of the oldest events published before `unixMilliseconds`.
    func deleteEvents(before unixMilliseconds: Int64, limit: Int) throws(StoreError) -> RetentionPass

    /// Bytes the store takes on disk now (0 when unknown).
    func sizeInBytes() -> Int
}

/// A store's state when Beacon starts on it.
public struct StoreOpening: Sendable, Equatable {
    /// The highest id stored; 0 for an empty store.
    public var highestId: UInt64
    /// The newest event of every stream that has one, in id order.
    public var latest: [StoredEvent]
    /// The highest id retention has deleted; 0 when it has deleted none.
    public var deletedThrough: UInt64

    public init(highestId: UInt64, latest: [StoredEvent], deletedThrough: UInt64) {
        self.highestId = highestId
        self.latest = latest
        self.deletedThrough = deletedThrough
    }
}

/// The answer of ``EventStore/events(after:streams:limit:)``.
public struct StoreRead: Sendable, Equatable {
    /// The events found, oldest first.
    public var events: [StoredEvent]
    /// The highest id in the store when it was read (0 when empty): every event at or below it
    /// that matched was found, unless `events` reached the limit.
    public var highestStored: UInt64

    public init(events: [StoredEvent], highestStored: UInt64) {
        self.events = events
        self.highestStored = highestStored
    }
}

/// What one retention step deleted.
public struct RetentionPass: Sendable, Equatable {
    /// Rows deleted.
    public var deleted: Int
    /// The highest id ever deleted by retention, this step included.
    public var deletedThrough: UInt64

    public init(deleted: Int, deletedThrough: UInt64) {
        self.deleted = deleted
        self.deletedThrough = deletedThrough
    }
}
