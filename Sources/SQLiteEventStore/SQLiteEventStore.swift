public import EventStore
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// The event store in one SQLite file (GRDB), in WAL mode so that reads (resumes, history
/// queries) never wait for the writer. The schema is versioned and migrated on open.
///
/// Tables: `stream` (one row per stream name ever seen); `event` (one row per event, its id the
/// hub-wide event id, so rows are appended in id order and a commit writes only the last few
/// pages); `stream_run`, the per-stream index behind a stream's latest events and history, as
/// runs of a stream's ids (``StreamIdRun``, about 2 bytes an event), which the writer extends in
/// batches of up to ``indexBatch`` events (or every ``indexInterval`` seconds) because index rows
/// written with each event would dirty one index page per stream in every commit; and
/// `store_state`, with `indexed_through` (the highest id in `stream_run`: later events are found
/// by scanning `event` from there) and `deleted_through` (the highest id retention deleted).
public final class SQLiteEventStore: EventStore {
    /// The file.
    public let path: String
    private let pool: DatabasePool
    /// Stream name → row id of `stream`, and how far `stream_event` reaches; only the writer
    /// changes them.
    private let writer: Mutex<WriterState>
    /// Un-indexed events past which the writer extends `stream_event`.
    static let indexBatch = 50_000
    /// Seconds after which it extends it anyway, when there are un-indexed events.
    static let indexInterval = 10.0

    private struct WriterState {
        var streamIds: [String: Int64]
        var indexedThrough: Int64
        var unindexed: Int
        var indexedAt: Double
    }

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
            try db.execute(sql: "PRAGMA synchronous = NORMAL; PRAGMA cache_size = -8192")
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
            let state = try pool.read { db in
                let names = try Row.fetchAll(db, sql: "SELECT id, name FROM stream").map { (String.fromDatabaseValue($0[1]) ?? "", $0[0] as Int64) }
                let indexed = try Self.state(db, "indexed_through")
                let unindexed = try Int.fetchOne(db, sql: "SELECT count(*) FROM event WHERE id > ?", arguments: [indexed]) ?? 0
                return WriterState(
                    streamIds: Dictionary(names, uniquingKeysWith: { first, _ in first }), indexedThrough: indexed,
                    unindexed: unindexed, indexedAt: ProcessInfo.processInfo.systemUptime)
            }
            writer = Mutex(state)
        } catch {
            throw file.problem(error, opening: true)
        }
    }

    public func opening() throws(StoreError) -> StoreOpening {
        do {
            return try pool.read { db in
                let highest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event") ?? 0
                let indexed = try Self.state(db, "indexed_through")
                // Each stream's newest id: from the index, or among the events after it.
                var newest: [Int64: Int64] = [:]
                for row in try Row.fetchAll(db, sql: """
                    SELECT stream_id, max(last_id) FROM stream_run GROUP BY stream_id
                    UNION ALL SELECT stream_id, max(id) FROM event WHERE id > ? GROUP BY stream_id
                    """, arguments: [indexed])
                {
                    let stream: Int64 = row[0]
                    if let id = row[1] as Int64? { newest[stream] = max(newest[stream] ?? id, id) }
                }
                let list = newest.values.map(String.init).joined(separator: ",")
                let latest = try Row.fetchAll(db, sql: "\(Self.select) WHERE e.id IN (\(list)) ORDER BY e.id").map(Self.event)
                return StoreOpening(
                    highestId: UInt64(max(0, highest)), latest: latest,
                    deletedThrough: UInt64(max(0, try Self.state(db, "deleted_through"))))
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: true)
        }
    }

    public func append(_ events: [StoredEvent]) throws(StoreError) {
        guard let last = events.last else { return }
        var state = writer.withLock { $0 }
        do {
            try pool.write { db in
                let insert = try db.cachedStatement(
                    sql: "INSERT INTO event(id, stream_id, name, data, time, status, status_since) VALUES (?, ?, ?, ?, ?, ?, ?)")
                for event in events {
                    var streamId = state.streamIds[event.stream]
                    if streamId == nil {
                        try db.execute(sql: "INSERT OR IGNORE INTO stream(name) VALUES (?)", arguments: [event.stream])
                        streamId = try Int64.fetchOne(db, sql: "SELECT id FROM stream WHERE name = ?", arguments: [event.stream])
                        state.streamIds[event.stream] = streamId
                    }
                    try Self.insert(event, streamId: streamId ?? 0, with: insert.sqliteStatement, in: db)
                }
                state.unindexed += events.count
                let now = ProcessInfo.processInfo.systemUptime
                if state.unindexed >= Self.indexBatch || now - state.indexedAt >= Self.indexInterval {
                    let through = Int64(bitPattern: last.id)
                    try Self.index(db, after: state.indexedThrough, through: through)
                    state.indexedThrough = through
                    state.unindexed = 0
                    state.indexedAt = now
                }
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: false)
        }
        // Kept only once committed: a failed transaction leaves the state as it was.
        writer.withLock { $0 = state }
    }

    public func events(after id: UInt64, streams: [String]?, limit: Int) throws(StoreError) -> StoreRead {
        do {
            return try pool.read { db in
                let highest = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event") ?? 0
                let after = Int64(clamping: id)
                let rows: [Row]
                if let streams {
                    let ids = try streams.compactMap { try Int64.fetchOne(db, sql: "SELECT id FROM stream WHERE name = ?", arguments: [$0]) }
                    guard !ids.isEmpty else { return StoreRead(events: [], highestStored: UInt64(max(0, highest))) }
                    let list = ids.map(String.init).joined(separator: ",")
                    let indexed = try Self.state(db, "indexed_through")
                    // Retention deletes by id: nothing at or below `deleted_through` is left.
                    let from = max(after, try Self.state(db, "deleted_through"))
                    var found: [Int64] = []
                    for stream in ids {
                        found += try Self.indexedIds(db, stream: stream, after: from, through: indexed, limit: limit)
                    }
                    found += try Int64.fetchAll(
                        db, sql: "SELECT id FROM event WHERE id > max(?1, ?2) AND stream_id IN (\(list)) ORDER BY id LIMIT ?3",
                        arguments: [from, indexed, limit])
                    found.sort()
                    let events = try Self.events(db, ids: found.prefix(limit))
                    return StoreRead(events: events, highestStored: UInt64(max(0, highest)))
                } else {
                    rows = try Row.fetchAll(db, sql: "\(Self.select) WHERE e.id > ? ORDER BY e.id LIMIT ?", arguments: [after, limit])
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
                let indexed = try Self.state(db, "indexed_through")
                // Ids grow with time: the range's ids lie between the first at or after each end.
                let low = max(
                    range.lowerBound == .min ? 0 : try Self.firstId(db, atOrAfter: range.lowerBound),
                    try Self.state(db, "deleted_through") + 1)
                let high = range.upperBound == .max ? Int64.max : try Self.firstId(db, atOrAfter: range.upperBound + 1) - 1
                guard low <= high else { return [] }
                // Newest first: the events past the index, then the index's.
                var found = try Int64.fetchAll(db, sql: """
                    SELECT id FROM event WHERE id > max(?1, ?2 - 1) AND id <= ?3 AND stream_id = ?4 ORDER BY id DESC LIMIT ?5
                    """, arguments: [indexed, low, high, streamId, limit])
                if found.count < limit, low <= indexed {
                    found += try Self.indexedIdsNewestFirst(
                        db, stream: streamId, in: low...min(high, indexed), limit: limit - found.count)
                }
                return try Self.events(db, ids: found.reversed()).filter { range.contains($0.unixMilliseconds) }
            }
        } catch {
            throw StoreFile(path: path).problem(error, opening: false)
        }
    }

    public func deleteEvents(before unixMilliseconds: Int64, limit: Int) throws(StoreError) -> RetentionPass {
        do {
            return try pool.write { db in
                let previous = try Self.state(db, "deleted_through")
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
                guard deleted > 0 else { return RetentionPass(deleted: 0, deletedThrough: UInt64(max(0, previous))) }
                // Runs that reach past `through` stay; their deleted ids are skipped when read.
                try db.execute(
                    sql: "DELETE FROM stream_run WHERE stream_id IN (SELECT id FROM stream) AND last_id <= ?", arguments: [through])
                try db.execute(
                    sql: "INSERT OR REPLACE INTO store_state(key, value) VALUES ('deleted_through', ?)",
                    arguments: [max(through, previous)])
                return RetentionPass(deleted: deleted, deletedThrough: UInt64(max(0, max(through, previous))))
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

    /// Runs the prepared insert for one event, binding its values through SQLite's C API: this is
    /// the writer's inner loop, and GRDB's argument values cost more than SQLite's insert itself.
    /// The event name is left out (NULL) when it is the stream's: most events.
    private static func insert(_ event: StoredEvent, streamId: Int64, with statement: OpaquePointer, in db: Database) throws {
        let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)
        sqlite3_bind_int64(statement, 1, Int64(bitPattern: event.id))
        sqlite3_bind_int64(statement, 2, streamId)
        if event.event == event.stream {
            sqlite3_bind_null(statement, 3)
        } else {
            sqlite3_bind_text(statement, 3, event.event, -1, transient)
        }
        sqlite3_bind_int64(statement, 5, event.unixMilliseconds)
        if let status = event.status {
            sqlite3_bind_text(statement, 6, status, -1, transient)
        } else {
            sqlite3_bind_null(statement, 6)
        }
        if let since = event.statusSince {
            sqlite3_bind_int64(statement, 7, since)
        } else {
            sqlite3_bind_null(statement, 7)
        }
        let code = event.data.withUnsafeBufferPointer { data -> Int32 in
            // Bound without a copy: the bytes outlive the step that reads them.
            if let base = data.baseAddress {
                sqlite3_bind_text(statement, 4, UnsafeRawPointer(base).assumingMemoryBound(to: CChar.self), Int32(data.count), nil)
            } else {
                sqlite3_bind_text(statement, 4, "", 0, transient)
            }
            defer { sqlite3_reset(statement) }
            return sqlite3_step(statement)
        }
        guard code == SQLITE_DONE else {
            throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
        }
    }

    /// Adds the events above `after` and at most `through` to `stream_run` and moves
    /// `indexed_through` to `through`.
    private static func index(_ db: Database, after: Int64, through: Int64) throws {
        try StoreSchema.addRuns(
            db, from: "SELECT stream_id, id FROM event WHERE id > ? AND id <= ? ORDER BY stream_id, id", arguments: [after, through])
        try db.execute(sql: "INSERT OR REPLACE INTO store_state(key, value) VALUES ('indexed_through', ?)", arguments: [through])
    }

    /// The indexed ids of `stream` above `after` and at most `through`, ascending, at most `limit`.
    private static func indexedIds(_ db: Database, stream: Int64, after: Int64, through: Int64, limit: Int) throws -> [Int64] {
        var ids: [Int64] = []
        let runs = try Row.fetchCursor(
            db, sql: "SELECT first_id, last_id, distances FROM stream_run WHERE stream_id = ? AND last_id > ? ORDER BY last_id",
            arguments: [stream, after])
        reading: while ids.count < limit, let row = try runs.next() {
            let run = run(row)
            guard run.first <= through else { break }
            for id in run.ids where id > after && id <= through {
                ids.append(id)
                if ids.count == limit { break reading }
            }
        }
        return ids
    }

    /// The indexed ids of `stream` in `range`, newest first, at most `limit`.
    private static func indexedIdsNewestFirst(_ db: Database, stream: Int64, in range: ClosedRange<Int64>, limit: Int) throws -> [Int64] {
        var ids: [Int64] = []
        let runs = try Row.fetchCursor(
            db, sql: "SELECT first_id, last_id, distances FROM stream_run WHERE stream_id = ? AND last_id >= ? ORDER BY last_id DESC",
            arguments: [stream, range.lowerBound])
        reading: while ids.count < limit, let row = try runs.next() {
            let run = run(row)
            guard run.first <= range.upperBound else { continue }
            for id in run.ids.reversed() where range.contains(id) {
                ids.append(id)
                if ids.count == limit { break reading }
            }
            if run.first <= range.lowerBound { break }
        }
        return ids
    }

    /// A row of (first_id, last_id, distances).
    private static func run(_ row: Row) -> StreamIdRun {
        let distances: Data = row[2]
        return StreamIdRun(first: row[0], last: row[1], distances: [UInt8](distances))
    }

    /// The events of `ids` (ascending), in id order; ids without an event are skipped.
    private static func events<Ids: Collection<Int64>>(_ db: Database, ids: Ids) throws -> [StoredEvent] {
        var events: [StoredEvent] = []
        events.reserveCapacity(ids.count)
        let all = Array(ids)
        for start in stride(from: 0, to: all.count, by: 1000) {
            let list = all[start..<min(all.count, start + 1000)].map(String.init).joined(separator: ",")
            events += try Row.fetchAll(db, sql: "\(select) WHERE e.id IN (\(list)) ORDER BY e.id").map(event)
        }
        return events
    }

    /// The columns ``event(_:)`` reads, from `event e`.
    private static let select =
        "SELECT e.id, s.name, e.name, e.data, e.time, e.status, e.status_since FROM event e JOIN stream s ON s.id = e.stream_id"

    /// A number kept in `store_state`; 0 when unset.
    private static func state(_ db: Database, _ key: String) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT value FROM store_state WHERE key = ?", arguments: [key]) ?? 0
    }

    /// The id of the first event (by id) published at or after `time`, or one past the highest id
    /// when there is none; a binary search over ids, which grow with time.
    private static func firstId(_ db: Database, atOrAfter time: Int64) throws -> Int64 {
        let probe = try db.cachedStatement(sql: "SELECT id, time FROM event WHERE id >= ? ORDER BY id LIMIT 1")
        guard var low = try Int64.fetchOne(db, sql: "SELECT min(id) FROM event"),
            var high = try Int64.fetchOne(db, sql: "SELECT max(id) FROM event")
        else { return 0 }
        high += 1
        // Invariant: every event below `low` is older than `time`; the first event at or above `high` is not.
        while low < high {
            let middle = low + (high - low) / 2
            guard let row = try Row.fetchOne(probe, arguments: [middle]) else { break }
            if (row[1] as Int64) >= time { high = middle } else { low = (row[0] as Int64) + 1 }
        }
        return try Int64.fetchOne(db, sql: "SELECT id FROM event WHERE id >= ? ORDER BY id LIMIT 1", arguments: [low]) ?? low
    }

    /// A row of (id, stream, name or NULL, data, time, status, status_since).
    private static func event(_ row: Row) -> StoredEvent {
        let id: Int64 = row[0]
        let stream: String = row[1]
        let name: String? = row[2]
        let data: String = row[3]
        let time: Int64 = row[4]
        let status: String? = row[5]
        let since: Int64? = row[6]
        return StoredEvent(
            id: UInt64(bitPattern: id), stream: stream, event: name ?? stream, data: Array(data.utf8),
            unixMilliseconds: time, status: status, statusSince: since)
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
