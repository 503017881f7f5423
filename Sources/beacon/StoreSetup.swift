import EventHub
import EventStore
import Logging
import SQLiteEventStore

/// Opens the store `--store` names, for `beacon serve` and `--check-config`.
enum StoreSetup {
    /// The store behind the hub, opened and with retention started; nil for `memory`.
    static func open(_ location: StoreLocation, retentionSeconds: Double, logger: Logger) throws(StoreError) -> HubStorage? {
        switch location {
        case .memory:
            return nil
        case .sqlite(let path):
            let started = ContinuousClock.now
            let store = try SQLiteEventStore(path: path)
            let opening = try store.opening()
            let took = ContinuousClock.now - started
            let writer = StoreWriter(store: store, deletedThrough: opening.deletedThrough, logger: logger)
            // About ten passes per retention period, at least one a second and one every 5 minutes.
            writer.startRetention(seconds: retentionSeconds, interval: min(300, max(1, retentionSeconds / 10)))
            let milliseconds = took.components.seconds * 1000 + took.components.attoseconds / 1_000_000_000_000_000
            logger.info(
                "event store \(location): \(opening.latest.count) streams, highest id \(opening.highestId), \(store.sizeInBytes() >> 10) KiB, opened in \(milliseconds) ms",
                metadata: ["store": "\(location)"])
            return HubStorage(store: store, writer: writer, opening: opening)
        }
    }

    /// What is wrong with the store for `--check-config` (an existing file is opened read-only), or nil.
    static func problem(_ location: StoreLocation) -> String? {
        guard case .sqlite(let path) = location else { return nil }
        do {
            try SQLiteEventStore.check(path: path)
            return nil
        } catch {
            return error.description
        }
    }
}
