import EventStore
import Foundation
import SQLiteEventStore
import Testing

/// Each event's level and since when it holds survive a reopening: a restart seeds plugin levels
/// from the latest event of each stream.
@Suite struct StoredLevelTests {
    @Test func levelsAndTheirSinceComeBackWithTheLatestEvents() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let path = folder.path("beacon.db")
        do {
            let store = try SQLiteEventStore(path: path)
            try store.append([
                StoredEvent(id: 1, stream: "a", event: "a", data: Array("1".utf8), unixMilliseconds: 1_000, status: "ok", statusSince: 1_000),
                StoredEvent(id: 2, stream: "a", event: "a", data: Array("2".utf8), unixMilliseconds: 2_000, status: "critical", statusSince: 2_000),
                StoredEvent(id: 3, stream: "a", event: "status-change", data: Array("{}".utf8), unixMilliseconds: 2_000, status: "critical", statusSince: 2_000),
                StoredEvent(id: 4, stream: "b", event: "b", data: Array("3".utf8), unixMilliseconds: 3_000, status: nil, statusSince: 2_500),
                StoredEvent(id: 5, stream: "c", event: "c", data: Array("4".utf8), unixMilliseconds: 4_000),
            ])
        }
        let reopened = try SQLiteEventStore(path: path)
        let latest = try reopened.opening().latest
        #expect(latest.map(\.id) == [3, 4, 5])
        #expect(latest.map(\.status) == ["critical", nil, nil])
        #expect(latest.map(\.statusSince) == [2_000, 2_500, nil])
        let history = try reopened.history(of: "a", in: 0...10_000, limit: 10)
        #expect(history.map(\.status) == ["ok", "critical", "critical"])
    }
}
