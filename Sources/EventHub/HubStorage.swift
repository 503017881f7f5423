public import EventStore

/// The durable store behind a hub: where its events are written and read back from.
public struct HubStorage: Sendable {
    /// Read from (resumes older than memory holds, history queries), off the event loops.
    public let store: any EventStore
    /// Written to, in batches, by every publish.
    public let writer: StoreWriter
    /// What the store held when the hub was made: ids continue above it, and every stream's
    /// latest event is served at once.
    public let opening: StoreOpening

    public init(store: any EventStore, writer: StoreWriter, opening: StoreOpening) {
        self.store = store
        self.writer = writer
        self.opening = opening
    }
}
