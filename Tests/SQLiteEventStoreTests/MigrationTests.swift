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

    @Test func aStoreWithTheIndexAsRowsGetsItAsRunsAndKeepsAnswering() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let path = folder.path("v3.db")
        // A store as schema v3 left it: an index row per event in `stream_event`, the last 5 not indexed.
        let queue = try DatabaseQueue(path: path)
        try StoreSchema.migrator.migrate(queue, upTo: "v3")
        try queue.write { db in
            try db.execute(sql: "INSERT INTO stream(id, name) VALUES (1, 'a'), (2, 'b'), (3, 'c')")
            for id in 1...605 {
                try db.execute(
                    sql: "INSERT INTO event(id, stream_id, name, data, time) VALUES (?, ?, NULL, ?, ?)",
                    arguments: [id, id % 3 + 1, "\(id)", 1_700_000_000_000 + id * 1000])
            }
            try db.execute(sql: "INSERT INTO stream_event SELECT stream_id, id FROM event WHERE id <= 600 ORDER BY stream_id, id")
            try db.execute(sql: "INSERT OR REPLACE INTO store_state(key, value) VALUES ('indexed_through', 600)")
        }
        try queue.close()

        let store = try SQLiteEventStore(path: path)
        let runs = try DatabaseQueue(path: path).read { db in
            try Row.fetchAll(db, sql: "SELECT stream_id, count(*) FROM stream_run GROUP BY stream_id ORDER BY stream_id").map { [$0[0], $0[1]] as [Int64] }
        }
        // 200 ids per stream: one run each (the capacity is 256).
        #expect(runs == [[1, 1], [2, 1], [3, 1]])
        #expect(try store.opening().latest.map(\.id) == [603, 604, 605])
        // a holds ids 3, 6, …, b 1, 4, …, c 2, 5, …: queries across the index's end and past it.
        #expect(try store.events(after: 590, streams: ["c"], limit: 100).events.map(\.id) == [593, 596, 599, 602, 605])
        #expect(try store.events(after: 0, streams: ["a", "b"], limit: 4).events.map(\.id) == [1, 3, 4, 6])
        #expect(try store.history(of: "b", in: Int64.min...Int64.max, limit: 3).map(\.id) == [598, 601, 604])
    }

    @Test func retentionDropsWholeRunsAndSkipsTheDeletedIdsOfTheOneItCuts() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let store = try SQLiteEventStore(path: folder.path("beacon.db"))
        let total = SQLiteEventStore.indexBatch + 1000
        for start in stride(from: 1, through: total, by: 10_000) {
            try store.append((start..<min(total + 1, start + 10_000)).map {
                event(UInt64($0), "s\($0 % 2)", at: 1_700_000_000_000 + Int64($0))
            })
        }
        // Indexed through 50,000, in runs of 256 ids per stream. Delete the oldest 1,000 events:
        // runs wholly before go, the run that reaches past id 1,000 stays.
        var pass = try store.deleteEvents(before: 1_700_000_001_001, limit: 100_000)
        #expect(pass.deleted == 1000 && pass.deletedThrough == 1000)
        #expect(try store.events(after: 0, streams: ["s0"], limit: 3).events.map(\.id) == [1002, 1004, 1006])
        #expect(try store.history(of: "s1", in: Int64.min...1_700_000_001_005, limit: 10).map(\.id) == [1001, 1003, 1005])
        pass = try store.deleteEvents(before: 1_700_000_000_000 + Int64(total) + 1, limit: 100_000)
        #expect(try store.events(after: 0, streams: ["s0", "s1"], limit: 10).events.isEmpty)
        #expect(try store.history(of: "s0", in: Int64.min...Int64.max, limit: 10).isEmpty)
    }
}
