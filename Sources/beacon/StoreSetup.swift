import EventHub
import EventStore
import Foundation
import Logging
import PostgresEventStore
import SQLiteEventStore

/// Opens the store `--store` names, for `beacon serve` and `--check-config`.
enum StoreSetup {
    /// The store behind the hub, opened and with retention started; nil for `memory`.
    /// - Parameter passwordFile: where a PostgreSQL password is read from when the URL has none.
    static func open(
        _ location: StoreLocation, retentionSeconds: Double, passwordFile: String? = nil, logger: Logger
    ) throws(StoreError) -> HubStorage? {
        let started = ContinuousClock.now
        let store: any EventStore
        switch location {
        case .memory:
            return nil
        case .sqlite(let path):
            store = try SQLiteEventStore(path: path)
        case .postgres(let url):
            let password = try self.password(for: url, file: passwordFile)
            store = try PostgresEventStore(connector: PostgresConnector(url: url, password: password, logger: logger))
        }
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

    /// The URL's password, else the first line of `file`, else `PGPASSWORD`, else none.
    static func password(for url: PostgresURL, file: String?) throws(StoreError) -> String? {
        if url.password != nil { return nil }
        if let file {
            guard let data = FileManager.default.contents(atPath: file) else {
                throw StoreError(.cannotConnect, "cannot read the PostgreSQL password file \(file); check that it exists and that Beacon may read it")
            }
            return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).first.map(String.init) ?? ""
        }
        return ProcessInfo.processInfo.environment["PGPASSWORD"]
    }

    /// What is wrong with the store for `--check-config`, or nil: an existing file is opened
    /// read-only; a database is connected to and its tables' version read, nothing created.
    static func problem(_ location: StoreLocation, passwordFile: String?) -> String? {
        do {
            switch location {
            case .memory:
                return nil
            case .sqlite(let path):
                try SQLiteEventStore.check(path: path)
            case .postgres(let url):
                let quiet = Logger(label: "beacon.check-config") { _ in SwiftLogNoOpLogHandler() }
                let password = try self.password(for: url, file: passwordFile)
                try PostgresEventStore.check(connector: PostgresConnector(url: url, password: password, logger: quiet))
            }
            return nil
        } catch {
            return error.description
        }
    }
}
