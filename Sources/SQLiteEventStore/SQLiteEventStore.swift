public import EventStore
import Foundation
import GRDB
import Synchronization

/// The event store in one SQLite file (GRDB), in WAL mode so that reads (resumes, history
/// queries) never wait for the writer. The schema is versioned and migrated on open.
///
/// Tables: `stream` (one row per stream name ever seen) and `event` (one row per event, its id
/// the hub-wide event id, so rows are appended in id order), with an index on (stream, id) for a
/// stream's latest events and its history; `store_state` keeps what retention deleted.
public final class SQLiteEventStore: EventStore {
    /// The file.
    public let path: String
    private let pool: DatabasePool
    /// Stream name → row id of `stream`; only the writer adds to it.
    private let streamIds: Mutex<[String: Int64]>

    /// Opens (creating when missing) the store at `path` and migrates its schema. Throws a
    /// ``StoreError`` naming the file and what to do when the file cannot be created or
    /// written, is not a Beacon store, is from a newer Beacon, or is damaged.
    public init(path: String) throws(StoreError) {
        self.path = path
        let file = StoreFile(path: path)
        try file.createFolder()
        if file.exists { try file.inspect() }
        var configuration = Configuration()
        configuration.foreignKeysEnabled = false
        configuration.busyMode = .timeout(5)
        configuration.maximumReaderCount = 4
        configuration.label = "beacon-store"
        configuration.prepareDatabase { db in
            // WAL with synchronous=NORMAL: a commit survives a crash of the process; a power
            // failure may lose the last commits, never the file.
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            pool = try DatabasePool(path: path, configuration: configuration)
            try StoreSchema.migrator.migrate(pool)
            try pool.write { db in
                // A real write: a file that cannot take one fails here, at start, not later.
                try db.execute(
                    sql: "INSERT OR REPLACE INTO store_state(key, value) VALUES ('opened_at', ?)",
                    arguments: [StoreWriter.unixMilliseconds()])
            }
            let names = try pool.read { db in
                try Row.fetchAll(db, sql: "SELECT id, name FROM stream").map { (String.fromDatabaseValue($0[1]) ?? "", $0[0] as Int64) }
            }
            streamIds = Mutex(Dictionary(names, uniquingKeysWith: { first, _ in first }))
        } catch {
            throw file.problem(error, opening: true)
        }
    }

    public func opening() throws(StoreError) -> StoreOpening {
        do {
            return try pool.read { db in
                let highest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event") ?? 0
                let deleted = try Int64.fetchOne(db, sql: "SELECT value FROM store_state WHERE key = 'deleted_through'") ?? 0
                let latest = try Row.fetchAll(db, sql: """
                    SELECT e.id, s.name, e.name, e.data, e.time, e.status
                    FROM stream s JOIN event e ON e.id = (SELECT max(id) FROM event WHERE stream_id = s.id)
                    ORDER BY e.id
                    """).map(Self.event)
                return StoreOpening(highestId: UInt64(max(0, highest)), latest: latest, deletedThrough: UInt64(max(0, deleted)))
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: true)
        }
    }

    public func append(_ events: [StoredEvent]) throws(StoreError) {
        guard !events.isEmpty else { return }
        do {
            try pool.write { db in
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO event(id, stream_id, name, data, time, status) VALUES (?, ?, ?, ?, ?, ?)")
                var known = streamIds.withLock { $0 }
                var added: [String: Int64] = [:]
                for event in events {
                    var streamId = known[event.stream]
                    if streamId == nil {
                        try db.execute(sql: "INSERT OR IGNORE INTO stream(name) VALUES (?)", arguments: [event.stream])
                        streamId = try Int64.fetchOne(db, sql: "SELECT id FROM stream WHERE name = ?", arguments: [event.stream])
                        known[event.stream] = streamId
                        added[event.stream] = streamId
                    }
                    // The event name is left out (NULL) when it is the stream's: most events.
                    let name: String? = event.event == event.stream ? nil : event.event
                    try insert.execute(arguments: [
                        Int64(bitPattern: event.id), streamId, name, String(decoding: event.data, as: UTF8.self),
                        event.unixMilliseconds, event.status,
                    ])
                }
                if !added.isEmpty {
                    // Published only once the transaction commits (a failed one rolls back its streams).
                    let committed = added
                    db.afterNextTransaction { _ in self.streamIds.withLock { $0.merge(committed) { first, _ in first } } }
                }
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: false)
        }
    }

    public func events(after id: UInt64, streams: [String]?, limit: Int) throws(StoreError) -> StoreRead {
        do {
            return try pool.read { db in
                let highest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event") ?? 0
                let select = "SELECT e.id, s.name, e.name, e.data, e.time, e.status FROM event e JOIN stream s ON s.id = e.stream_id"
                let rows: [Row]
                if let streams {
                    let ids = try streams.compactMap { try Int64.fetchOne(db, sql: "SELECT id FROM stream WHERE name = ?", arguments: [$0]) }
                    guard !ids.isEmpty else { return StoreRead(events: [], highestStored: UInt64(max(0, highest))) }
                    let list = ids.map(String.init).joined(separator: ",")
                    rows = try Row.fetchAll(
                        db, sql: "\(select) WHERE e.stream_id IN (\(list)) AND e.id > ? ORDER BY e.id LIMIT ?",
                        arguments: [Int64(clamping: id), limit])
                } else {
                    rows = try Row.fetchAll(db, sql: "\(select) WHERE e.id > ? ORDER BY e.id LIMIT ?", arguments: [Int64(clamping: id), limit])
                }
                return StoreRead(events: rows.map(Self.event), highestStored: UInt64(max(0, highest)))
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: false)
        }
    }

    public func history(of stream: String, in range: ClosedRange<Int64>, limit: Int) throws(StoreError) -> [StoredEvent] {
        do {
            return try pool.read { db in
                guard let streamId = try Int64.fetchOne(db, sql: "SELECT id FROM stream WHERE name = ?", arguments: [stream]) else {
                    return []
                }
                let rows = try Row.fetchAll(db, sql: """
                    SELECT e.id, ?, e.name, e.data, e.time, e.status FROM event e
                    WHERE e.stream_id = ? AND e.time BETWEEN ? AND ? ORDER BY e.id DESC LIMIT ?
                    """, arguments: [stream, streamId, range.lowerBound, range.upperBound, limit])
                return rows.reversed().map(Self.event)
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: false)
        }
    }

    public func deleteEvents(before unixMilliseconds: Int64, limit: Int) throws(StoreError) -> RetentionPass {
        do {
            return try pool.write { db in
                let previous = try Int64.fetchOne(db, sql: "SELECT value FROM store_state WHERE key = 'deleted_through'") ?? 0
                // Ids grow with time, so the old events are the oldest ids: look at the next
                // `limit` of them and delete up to the first one that is recent enough.
                guard let last = try Int64.fetchOne(
                    db, sql: "SELECT id FROM (SELECT id FROM event ORDER BY id LIMIT ?) ORDER BY id DESC LIMIT 1", arguments: [limit])
                else { return RetentionPass(deleted: 0, deletedThrough: UInt64(max(0, previous))) }
                let firstKept = try Int64.fetchOne(
                    db, sql: "SELECT id FROM event WHERE id <= ? AND time >= ? ORDER BY id LIMIT 1", arguments: [last, unixMilliseconds])
                let through = firstKept.map { $0 - 1 } ?? last
                try db.execute(sql: "DELETE FROM event WHERE id <= ?", arguments: [through])
                let deleted = db.changesCount
                let deletedThrough = max(previous, deleted > 0 ? through : previous)
                if deletedThrough != previous {
                    try db.execute(
                        sql: "INSERT OR REPLACE INTO store_state(key, value) VALUES ('deleted_through', ?)", arguments: [deletedThrough])
                }
                return RetentionPass(deleted: deleted, deletedThrough: UInt64(max(0, deletedThrough)))
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: false)
        }
    }

    public func sizeInBytes() -> Int {
        [path, path + "-wal"].reduce(0) { total, file in
            var info = stat()
            return total + (stat(file, &info) == 0 ? Int(info.st_size) : 0)
        }
    }

    /// A row of (id, stream, name or NULL, data, time, status).
    private static func event(_ row: Row) -> StoredEvent {
        let id: Int64 = row[0]
        let stream: String = row[1]
        let name: String? = row[2]
        let data: String = row[3]
        let time: Int64 = row[4]
        let status: String? = row[5]
        return StoredEvent(
            id: UInt64(bitPattern: id), stream: stream, event: name ?? stream, data: Array(data.utf8),
            unixMilliseconds: time, status: status)
    }
}

extension SQLiteEventStore {
    /// Checks, without creating or changing anything, that a store could be opened at `path`:
    /// an existing file is opened read-only and must be a Beacon store of a known schema;
    /// otherwise the nearest existing folder on its path must be a folder.
    public static func check(path: String) throws(StoreError) {
        let file = StoreFile(path: path)
        if file.exists { return try file.inspect() }
        var folder = (path as NSString).deletingLastPathComponent
        while !folder.isEmpty, !FileManager.default.fileExists(atPath: folder) {
            let parent = (folder as NSString).deletingLastPathComponent
            if parent == folder { break }
            folder = parent
        }
        var isFolder: ObjCBool = false
        if !folder.isEmpty, FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder), !isFolder.boolValue {
            throw StoreError(.cannotCreate, "cannot create the store \(path): \(folder) is not a folder; give --store another path")
        }
    }
}
