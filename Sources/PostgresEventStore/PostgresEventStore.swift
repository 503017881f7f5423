public import EventStore
import NIOCore
import Dispatch
import PostgresNIO
import Synchronization

/// The event store in a PostgreSQL database, shared by every node of a cluster.
///
/// Ids come from one counter row that the inserting transaction updates and holds until it
/// commits, so transactions that insert events commit one after another and a reader that has
/// seen id N has seen every id below it. Ids have no gaps: a rolled-back insert gives its ids back.
/// Reads and writes use connections of their own (``PostgresLink``); every call blocks.
public final class PostgresEventStore: EventStore {
    public let connector: PostgresConnector
    /// Appends, retention and cluster bookkeeping.
    let writes: PostgresLink
    /// Resumes, history queries and the catch-up of new events.
    let reads: PostgresLink
    /// The size last measured, and whether a measurement is under way.
    private let size = Mutex((bytes: 0, measuring: false))

    /// Connects, creates or migrates the schema, and fails with a message naming the database and
    /// what to do when it cannot (unreachable, login refused, no such database, newer schema).
    public init(connector: PostgresConnector) throws(StoreError) {
        self.connector = connector
        self.writes = PostgresLink(connector: connector)
        self.reads = PostgresLink(connector: connector)
        try PostgresSchema.migrate(self.writes)
        self.measureSize()
    }

    /// Checks, creating and changing nothing, that the database behind `connector` can be used
    /// (for `--check-config`); throws what ``init(connector:)`` would.
    public static func check(connector: PostgresConnector) throws(StoreError) {
        let link = PostgresLink(connector: connector)
        defer { link.close() }
        try PostgresSchema.check(link)
    }

    /// Closes both connections.
    public func close() {
        self.writes.close()
        self.reads.close()
    }

    public func opening() throws(StoreError) -> StoreOpening {
        try self.reads.transaction { connection in
            try connection.run("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            let meta = try connection.run("SELECT last_id, deleted_through FROM beacon_meta")
            guard let row = meta.first else { return StoreOpening(highestId: 0, latest: [], deletedThrough: 0) }
            let (highest, deleted) = try row.decode((Int64, Int64).self)
            let latest = try connection.run(
                """
                SELECT e.id, e.stream, e.event, e.data, e.time_ms, e.status, e.status_since FROM
                  (SELECT stream, max(id) AS id FROM beacon_events GROUP BY stream) AS newest
                  JOIN beacon_events e ON e.id = newest.id ORDER BY e.id
                """
            ).map(Self.event)
            return StoreOpening(highestId: UInt64(highest), latest: latest, deletedThrough: UInt64(deleted))
        }
    }

    /// Appends events with the ids they carry (above every stored one), moving the id counter up
    /// to the last. Nodes of a cluster append through ``append(fenced:node:)`` instead.
    public func append(_ events: [StoredEvent]) throws(StoreError) {
        guard let last = events.last else { return }
        try self.writes.transaction { connection in
            try connection.run("SELECT last_id FROM beacon_meta FOR UPDATE")
            var seqs: [Int64] = []
            var next: [String: Int64] = [:]
            for event in events {
                if next[event.stream] == nil {
                    let rows = try connection.run("SELECT coalesce(max(seq), 0) FROM beacon_events WHERE stream = \(event.stream)")
                    next[event.stream] = try rows.first?.decode(Int64.self) ?? 0
                }
                next[event.stream, default: 0] += 1
                seqs.append(next[event.stream, default: 0])
            }
            try Self.insert(events, seqs: seqs, node: "", on: connection)
            try connection.run("UPDATE beacon_meta SET last_id = greatest(last_id, \(Int64(last.id)))")
            try connection.run("SELECT pg_notify('beacon_events', \(String(last.id)))")
        }
    }

    /// Inserts `events` (with their ids) in one statement.
    static func insert(_ events: [StoredEvent], seqs: [Int64], node: String, on connection: PostgresConnection) throws {
        let ids = events.map { Int64($0.id) }
        let streams = events.map(\.stream)
        let names = events.map(\.event)
        let data = events.map { String(decoding: $0.data, as: UTF8.self) }
        let times = events.map(\.unixMilliseconds)
        let statuses = events.map { $0.status ?? "" }
        // -1: no level known (statusSince nil); real times are never negative.
        let since = events.map { $0.statusSince ?? -1 }
        try connection.run(
            """
            INSERT INTO beacon_events (id, stream, seq, event, data, time_ms, status, status_since, node)
            SELECT id, stream, seq, event, convert_to(data, 'UTF8'), time_ms, nullif(status, ''), nullif(since, -1), \(node)
            FROM unnest(\(ids)::bigint[], \(streams)::text[], \(seqs)::bigint[], \(names)::text[], \(data)::text[],
                        \(times)::bigint[], \(statuses)::text[], \(since)::bigint[])
                 AS v(id, stream, seq, event, data, time_ms, status, since)
            """)
    }

    public func events(after id: UInt64, streams: [String]?, limit: Int) throws(StoreError) -> StoreRead {
        // One statement, so one snapshot: the counter and the rows agree, and a follower's read
        // costs one round trip. The counter comes on every row, and alone when none matched.
        let after = Int64(clamping: id)
        let names = streams ?? []
        let rows = try self.reads.with { connection in
            try connection.run(
                """
                SELECT m.last_id, e.id, e.stream, e.event, e.data, e.time_ms, e.status, e.status_since
                FROM beacon_meta m LEFT JOIN LATERAL (
                  SELECT * FROM beacon_events WHERE id > \(after) AND (\(streams == nil) OR stream = ANY(\(names)::text[]))
                  ORDER BY id LIMIT \(Int64(limit))) e ON true
                ORDER BY e.id
                """)
        }
        var highest: Int64 = 0
        var events: [StoredEvent] = []
        do {
            for row in rows {
                let (last, id, stream, event, data, time, status, since) = try row.decode(
                    (Int64, Int64?, String?, String?, ByteBuffer?, Int64?, String?, Int64?).self)
                highest = last
                guard let id, let stream, let event, let data, let time else { continue }
                events.append(StoredEvent(
                    id: UInt64(max(0, id)), stream: stream, event: event, data: Array(data.readableBytesView),
                    unixMilliseconds: time, status: status, statusSince: since))
            }
        } catch {
            throw StoreError(.io, "PostgreSQL at \(self.connector.url): \(PostgresLink.describe(error))")
        }
        return StoreRead(events: events, highestStored: UInt64(max(0, highest)))
    }

    public func history(of stream: String, in range: ClosedRange<Int64>, limit: Int) throws(StoreError) -> [StoredEvent] {
        try self.reads.with { connection in
            try connection.run(
                """
                SELECT id, stream, event, data, time_ms, status, status_since FROM
                  (SELECT * FROM beacon_events WHERE stream = \(stream) AND time_ms BETWEEN \(range.lowerBound) AND \(range.upperBound)
                   ORDER BY id DESC LIMIT \(Int64(limit))) AS newest
                ORDER BY id
                """
            ).map(Self.event)
        }
    }

    public func deleteEvents(before unixMilliseconds: Int64, limit: Int) throws(StoreError) -> RetentionPass {
        try self.writes.transaction { connection in
            let rows = try connection.run(
                """
                WITH gone AS (DELETE FROM beacon_events WHERE id IN
                  (SELECT id FROM beacon_events WHERE time_ms < \(unixMilliseconds) ORDER BY id LIMIT \(Int64(limit))) RETURNING id)
                SELECT count(*), coalesce(max(id), 0) FROM gone
                """)
            guard let row = rows.first else { return RetentionPass(deleted: 0, deletedThrough: 0) }
            let (count, through) = try row.decode((Int64, Int64).self)
            let deletedThrough = try connection.run(
                "UPDATE beacon_meta SET deleted_through = greatest(deleted_through, \(through)) RETURNING deleted_through"
            ).first?.decode(Int64.self) ?? through
            return RetentionPass(deleted: Int(count), deletedThrough: UInt64(max(0, deletedThrough)))
        }
    }

    /// The size last measured (0 before the first): the measurement is a query, started here
    /// on a Dispatch queue, so this never blocks (it is read for `/metrics` on an event loop).
    public func sizeInBytes() -> Int {
        let (bytes, start) = self.size.withLock { size -> (Int, Bool) in
            defer { size.measuring = true }
            return (size.bytes, !size.measuring)
        }
        if start { DispatchQueue.global().async { self.measureSize() } }
        return bytes
    }

    /// Measures the size now (blocks; never call on an event loop).
    @discardableResult
    public func measureSize() -> Int {
        let measured = try? self.reads.with { connection in
            try connection.run("SELECT pg_total_relation_size('beacon_events')").first?.decode(Int64.self)
        }
        return self.size.withLock { size in
            if let measured = measured.flatMap({ $0 }) { size.bytes = Int(measured) }
            size.measuring = false
            return size.bytes
        }
    }

    /// A row of (id, stream, event, data, time_ms, status, status_since) as an event.
    static func event(_ row: PostgresRow) throws -> StoredEvent {
        let (id, stream, event, data, time, status, since) = try row.decode(
            (Int64, String, String, ByteBuffer, Int64, String?, Int64?).self)
        return StoredEvent(
            id: UInt64(max(0, id)), stream: stream, event: event, data: Array(data.readableBytesView), unixMilliseconds: time,
            status: status, statusSince: since)
    }
}
