import EventStore
import Foundation
import Logging
import PostgresEventStore
import Testing

/// The store against a real PostgreSQL server, each test in a database of its own.
@Suite(.enabled(if: TestDatabase.enabled, TestDatabase.skipped))
struct PostgresStoreTests {
    private func event(_ id: UInt64, _ stream: String, _ n: Int, at time: Int64 = 1_000) -> StoredEvent {
        StoredEvent(id: id, stream: stream, event: stream, data: Array("{\"n\":\(n)}".utf8), unixMilliseconds: time)
    }

    @Test func createsTheSchemaAndReopensWhatItHolds() throws {
        let url = try TestDatabase.create()
        let store = try TestDatabase.open(url)
        #expect(try store.opening() == StoreOpening(highestId: 0, latest: [], deletedThrough: 0))
        try store.append([event(1, "a", 1), event(2, "b", 1), event(3, "a", 2)])
        store.close()

        let again = try TestDatabase.open(url)
        defer { again.close() }
        let opening = try again.opening()
        #expect(opening.highestId == 3)
        #expect(opening.latest == [event(2, "b", 1), event(3, "a", 2)])
    }

    @Test func readsAfterAnIdATimeRangeAndDeletesOldEvents() throws {
        let store = try TestDatabase.open(try TestDatabase.create())
        defer { store.close() }
        try store.append((1...6).map { event(UInt64($0), $0 % 2 == 0 ? "even" : "odd", $0, at: Int64($0) * 1000) })
        let after = try store.events(after: 2, streams: nil, limit: 3)
        #expect(after.events.map(\.id) == [3, 4, 5])
        #expect(after.highestStored == 6)
        #expect(try store.events(after: 0, streams: ["even"], limit: 10).events.map(\.id) == [2, 4, 6])
        #expect(try store.history(of: "odd", in: 2000...5000, limit: 10).map(\.id) == [3, 5])
        #expect(try store.history(of: "odd", in: 0...9000, limit: 2).map(\.id) == [3, 5])
        let pass = try store.deleteEvents(before: 3500, limit: 100)
        #expect(pass == RetentionPass(deleted: 3, deletedThrough: 3))
        #expect(try store.opening().deletedThrough == 3)
        #expect(try store.events(after: 0, streams: nil, limit: 10).events.map(\.id) == [4, 5, 6])
    }

    @Test func aWrongPasswordAMissingDatabaseAndNoServerAreClearErrors() throws {
        var url = try TestDatabase.create()
        var wrong = url
        wrong.password = "not-the-password"
        #expect(throws: StoreError.self) { try TestDatabase.open(wrong) }
        do { _ = try TestDatabase.open(wrong) } catch {
            #expect(error.kind == .cannotConnect)
            #expect(error.description.contains("refused the login of user \"\(url.user)\""), "\(error)")
        }
        url.database = "no_such_database_here"
        do {
            _ = try TestDatabase.open(url)
            Issue.record("a missing database was opened")
        } catch {
            #expect(error.description.contains("database \"no_such_database_here\" does not exist"), "\(error)")
        }
        url.port = 1  // nothing listens on port 1 of loopback
        do {
            _ = try TestDatabase.open(url)
            Issue.record("a closed port was opened")
        } catch {
            #expect(error.kind == .cannotConnect)
            #expect(error.description.contains("cannot reach PostgreSQL at postgres://"), "\(error)")
            #expect(!error.description.contains(url.password ?? "-"), "the password must not be shown")
        }
    }

    @Test func refusesANewerSchemaAndAnotherProgramsTable() throws {
        let url = try TestDatabase.create()
        try TestDatabase.open(url).close()
        try TestDatabase.psql(TestDatabase.url(url), "UPDATE beacon_meta SET schema_version = 99")
        do {
            _ = try TestDatabase.open(url)
            Issue.record("a newer schema was opened")
        } catch {
            #expect(error.kind == .newerSchema)
            #expect(error.description.contains("schema version 99"), "\(error)")
        }
        let foreign = try TestDatabase.create()
        try TestDatabase.psql(TestDatabase.url(foreign), "CREATE TABLE beacon_meta (x integer)")
        do {
            _ = try TestDatabase.open(foreign)
            Issue.record("another program's table was taken for a store")
        } catch {
            #expect(error.kind == .notAStore)
        }
    }
}
