import Foundation
import GRDB

/// The store's schema, one migration per version. A store written by an older Beacon is
/// migrated on open; one that has migrations this Beacon does not know is refused.
enum StoreSchema {
    /// `PRAGMA application_id` of a Beacon store ("BcnS"), so that another program's SQLite file
    /// is recognised as such.
    static let applicationId: Int32 = 0x4263_6E53

    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: "PRAGMA application_id = \(applicationId)")
            try db.execute(sql: """
                CREATE TABLE stream (
                    id INTEGER PRIMARY KEY,
                    name TEXT NOT NULL UNIQUE
                );
                CREATE TABLE event (
                    id INTEGER PRIMARY KEY,      -- the hub-wide event id; ids only grow
                    stream_id INTEGER NOT NULL,  -- stream.id
                    name TEXT,                   -- the event name; NULL when it is the stream's name
                    data TEXT NOT NULL,          -- the data: line, JSON
                    time INTEGER NOT NULL,       -- Unix milliseconds when published
                    status TEXT                  -- the result's level, NULL when none
                );
                CREATE INDEX event_by_stream ON event(stream_id, id);
                CREATE TABLE store_state (
                    key TEXT PRIMARY KEY,
                    value INTEGER NOT NULL
                );
                """)
        }
        // The per-stream index, kept in a table of its own that the writer fills in batches of
        // many events (see SQLiteEventStore): each commit then writes a few pages at the end of
        // `event` instead of one index page per stream it touches.
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE stream_event (
                    stream_id INTEGER NOT NULL,
                    id INTEGER NOT NULL,
                    PRIMARY KEY (stream_id, id)
                ) WITHOUT ROWID;
                INSERT INTO stream_event SELECT stream_id, id FROM event ORDER BY stream_id, id;
                DROP INDEX event_by_stream;
                INSERT OR REPLACE INTO store_state(key, value) VALUES ('indexed_through', (SELECT coalesce(max(id), 0) FROM event));
                """)
        }
        // Since when each event's stream has had its level (Unix ms; NULL when nothing was known),
        // so that a restart knows it.
        migrator.registerMigration("v3") { db in
            try db.execute(sql: "ALTER TABLE event ADD COLUMN status_since INTEGER")
        }
        // The per-stream index as runs of ids (``StreamIdRun``): about 2 bytes an event instead
        // of a row of 18.
        migrator.registerMigration("v4") { db in
            try db.execute(sql: """
                CREATE TABLE stream_run (
                    stream_id INTEGER NOT NULL,
                    last_id INTEGER NOT NULL,    -- the run's highest id
                    first_id INTEGER NOT NULL,   -- its lowest
                    distances BLOB NOT NULL,     -- each later id's distance from the one before, LEB128
                    PRIMARY KEY (stream_id, last_id)
                ) WITHOUT ROWID;
                """)
            try addRuns(db, from: "SELECT stream_id, id FROM stream_event ORDER BY stream_id, id")
            try db.execute(sql: "DROP TABLE stream_event")
        }
        return migrator
    }

    /// Adds the (stream_id, id) rows that `sql` selects, ordered by stream then id, to
    /// `stream_run`: a run per stream (more for a stream with over ``StreamIdRun/capacity`` ids).
    static func addRuns(_ db: Database, from sql: String, arguments: StatementArguments = []) throws {
        var stream: Int64?
        var ids: [Int64] = []
        func flush() throws {
            guard let stream else { return }
            for run in StreamIdRun.runs(of: ids) {
                try db.execute(
                    sql: "INSERT INTO stream_run(stream_id, last_id, first_id, distances) VALUES (?, ?, ?, ?)",
                    arguments: [stream, run.last, run.first, Data(run.distances)])
            }
            ids.removeAll(keepingCapacity: true)
        }
        let rows = try Row.fetchCursor(db, sql: sql, arguments: arguments)
        while let row = try rows.next() {
            let rowStream: Int64 = row[0]
            if rowStream != stream {
                try flush()
                stream = rowStream
            }
            ids.append(row[1])
        }
        try flush()
    }

    /// The migrations this Beacon knows, for messages.
    static var knownVersions: [String] { migrator.migrations }
}
