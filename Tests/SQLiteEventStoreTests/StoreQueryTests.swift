import EventStore
import Logging
import Foundation
import SQLiteEventStore
import Testing

@Suite struct StoreQueryTests {
    /// Streams a and b, ids 1...20 alternating, one second apart from t0.
    private let t0: Int64 = 1_700_000_000_000

    private func filled(_ folder: StoreFolder) throws -> SQLiteEventStore {
        let store = try SQLiteEventStore(path: folder.path("beacon.db"))
        try store.append((1...20).map { id in event(UInt64(id), id % 2 == 0 ? "a" : "b", "{\"n\":\(id)}", at: t0 + Int64(id) * 1000) })
        return store
    }

    @Test func eventsAfterAnIdComeInIdOrderForTheStreamsAsked() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let store = try filled(folder)
        let all = try store.events(after: 15, streams: nil, limit: 100)
        #expect(all.events.map(\.id) == [16, 17, 18, 19, 20])
        #expect(all.highestStored == 20)
        #expect(try store.events(after: 10, streams: ["a"], limit: 100).events.map(\.id) == [12, 14, 16, 18, 20])
        #expect(try store.events(after: 10, streams: ["a", "b", "zzz"], limit: 3).events.map(\.id) == [11, 12, 13])
        #expect(try store.events(after: 0, streams: ["zzz"], limit: 3) == StoreRead(events: [], highestStored: 20))
        let one = try #require(store.events(after: 19, streams: ["a"], limit: 1).events.first)
        #expect(one == event(20, "a", "{\"n\":20}", at: t0 + 20_000))
    }

    @Test func historyGivesTheNewestInTheRangeOldestFirst() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let store = try filled(folder)
        #expect(try store.history(of: "a", in: (t0 + 4000)...(t0 + 12_000), limit: 100).map(\.id) == [4, 6, 8, 10, 12])
        #expect(try store.history(of: "a", in: Int64.min...Int64.max, limit: 3).map(\.id) == [16, 18, 20])
        #expect(try store.history(of: "nobody", in: Int64.min...Int64.max, limit: 3).isEmpty)
    }

    @Test func retentionDeletesTheOldestInStepsAndRemembersHowFar() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let store = try filled(folder)
        // Older than t0 + 12.5 s: ids 1...12, in steps of at most 5.
        var passes: [RetentionPass] = []
        repeat {
            passes.append(try store.deleteEvents(before: t0 + 12_500, limit: 5))
        } while passes.last?.deleted == 5
        #expect(passes.map(\.deleted) == [5, 5, 2])
        #expect(passes.last?.deletedThrough == 12)
        #expect(try store.events(after: 0, streams: nil, limit: 100).events.map(\.id) == Array(13...20))
        let reopened = try SQLiteEventStore(path: folder.path("beacon.db"))
        #expect(try reopened.opening().deletedThrough == 12)
        #expect(try reopened.deleteEvents(before: t0, limit: 5) == RetentionPass(deleted: 0, deletedThrough: 12))
    }

    @Test func theWriterCommitsInBatchesAndFlushesOnClose() async throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let store = try SQLiteEventStore(path: folder.path("beacon.db"))
        let writer = StoreWriter(store: store, deletedThrough: 0, logger: .init(label: "test"))
        for id in 1...1000 { writer.submit(event(UInt64(id), "s\(id % 7)")) }
        #expect(await writer.close(timeout: 5) == 0)
        #expect(try store.events(after: 0, streams: nil, limit: 5000).events.map(\.id) == Array(1...1000))
        #expect(writer.statistics.committedThrough == 1000)
        #expect(try store.opening().latest.count == 7)
    }
}
