import EventStore
import Foundation
import SQLiteEventStore
import Testing

/// A temp folder for store files, removed by the caller.
struct StoreFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-store-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { url.appendingPathComponent(name).path }

    func delete() { try? FileManager.default.removeItem(at: url) }
}

func event(_ id: UInt64, _ stream: String, _ data: String = "1", at time: Int64 = 1_700_000_000_000, name: String? = nil)
    -> StoredEvent
{
    StoredEvent(id: id, stream: stream, event: name ?? stream, data: Array(data.utf8), unixMilliseconds: time)
}

@Suite struct StoreFileTests {
    @Test func aNewStoreIsCreatedWithItsFolderAndReopens() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let path = folder.path("deep/er/beacon.db")
        do {
            let store = try SQLiteEventStore(path: path)
            try store.append([event(10, "a", "{\"x\":1}"), event(11, "b", name: "b.alt"), event(12, "a", "2")])
        }
        let reopened = try SQLiteEventStore(path: path)
        let opening = try reopened.opening()
        #expect(opening.highestId == 12)
        #expect(opening.latest.map(\.id) == [11, 12])
        #expect(opening.latest.first?.event == "b.alt")
        #expect(opening.latest.last?.data == Array("2".utf8))
        #expect(reopened.sizeInBytes() > 0)
    }

    @Test func aPathUnderAFileCannotBeCreated() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        try "x".write(toFile: folder.path("plain"), atomically: true, encoding: .utf8)
        let error = #expect(throws: StoreError.self) { try SQLiteEventStore(path: folder.path("plain/beacon.db")) }
        #expect(error?.kind == .cannotCreate)
        #expect(error?.description.contains(folder.path("plain")) == true)
    }

    @Test func aTextFileIsNotAStore() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let path = folder.path("notes.db")
        try String(repeating: "not a database\n", count: 100).write(toFile: path, atomically: true, encoding: .utf8)
        let error = #expect(throws: StoreError.self) { try SQLiteEventStore(path: path) }
        #expect(error?.kind == .notAStore, "\(String(describing: error))")
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasPrefix("not a database"), "the file is left alone")
    }
}
