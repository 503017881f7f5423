import EventStore
import Foundation
import GRDB
import Testing

@testable import SQLiteEventStore

@Suite struct MigrationTests {
    @Test func aStoreOfTheFirstSchemaIsMigratedAndKeepsItsEvents() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let path = folder.path("v1.db")
        // A store as the first schema left it: events found through an index on (stream, id).
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: "v1")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO stream(id, name) VALUES (1, 'a'), (2, 'b')")
            for id in 1...30 {
                try db.execute(
                    sql: "INSERT INTO event(id, stream_id, name, data, time) VALUES (?, ?, NULL, ?, ?)",
                    arguments: [id, id % 2 + 1, "\(id)", 1_700_000_000_000 + id * 1000])
            }
        }
        try queue.close()

        let store = try SQLiteEventStore(path: path)
        let opening = try store.opening()
        #expect(opening.highestId == 30 && opening.latest.map(\.id) == [29, 30])
        #expect(opening.latest.allSatisfy { $0.status == nil && $0.statusSince == nil })
        #expect(try store.events(after: 20, streams: ["a"], limit: 100).events.map(\.id) == [22, 24, 26, 28, 30])
        try store.append([event(31, "a", "31", at: 1_700_000_031_000)])
        #expect(try store.history(of: "a", in: Int64.min...Int64.max, limit: 3).map(\.id) == [28, 30, 31])
    }

    @Test func eventsBeyondTheIndexAreFoundToo() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let store = try SQLiteEventStore(path: folder.path("beacon.db"))
        // Fewer than a batch: none of these is in the per-stream index yet.
        try store.append((1...60).map { event(UInt64($0), "s\($0 % 3)", at: 1_700_000_000_000 + Int64($0) * 1000) })
        #expect(try store.events(after: 50, streams: ["s0"], limit: 100).events.map(\.id) == [51, 54, 57, 60])
        #expect(try store.history(of: "s1", in: (1_700_000_010_000)...(1_700_000_020_000), limit: 100).map(\.id) == [10, 13, 16, 19])
        #expect(try store.opening().latest.map(\.id) == [58, 59, 60])
    }

    @Test func queriesSpanTheIndexedEventsAndTheOnesAfterThem() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let store = try SQLiteEventStore(path: folder.path("beacon.db"))
        let total = SQLiteEventStore.indexBatch + 10_000
        for start in stride(from: 1, through: total, by: 10_000) {
            try store.append((start..<(start + 10_000)).map { event(UInt64($0), "s\($0 % 10)", at: 1_700_000_000_000 + Int64($0)) })
        }
        // Indexed through 50,000 (the batch that crossed indexBatch); 50,001...60,000 are not.
        let span = try store.events(after: UInt64(SQLiteEventStore.indexBatch - 25), streams: ["s3"], limit: 5000).events.map(\.id)
        #expect(span == Array(stride(from: SQLiteEventStore.indexBatch - 17, through: total, by: 10)).map(UInt64.init))
        let history = try store.history(of: "s7", in: (1_700_000_049_990)...(1_700_000_050_020), limit: 100).map(\.id)
        #expect(history == [49_997, 50_007, 50_017])
        #expect(try store.opening().latest.map(\.id) == Array((total - 9)...total).map(UInt64.init))
        let reopened = try SQLiteEventStore(path: folder.path("beacon.db"))
        #expect(try reopened.events(after: 0, streams: ["s0"], limit: 100_000).events.count == total / 10)
    }
}
