import Foundation
import GRDB
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Stores Beacon must refuse at start, retention, and a store that stops taking writes while
/// Beacon runs.
@Suite struct StoreFaultTests {
    /// Runs `beacon serve` (or `--check-config`) on `store` and returns its exit status and standard error.
    private func start(store: String, checkConfig: Bool = false, shellPrefix: String? = nil) throws -> BeaconCommand {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "1s"))
        var arguments = ["serve", "--plugins", plugins.url.path, "--port", "0", "--store", store]
        if checkConfig { arguments.append("--check-config") }
        guard let shellPrefix else { return try BeaconCommand.run(arguments, seconds: 20) }
        let command = ([BeaconProcess.executable.path] + arguments).map { "'\($0)'" }.joined(separator: " ")
        return try BeaconCommand.run(["-c", "\(shellPrefix); exec \(command)"], executable: URL(fileURLWithPath: "/bin/sh"), seconds: 20)
    }

    /// Makes a store with some events in it with the real binary, stopped with SIGTERM.
    private func makeStore(at path: String) throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "20ms"))
        let server = try BeaconProcess(plugins: plugins.url, extraArguments: ["--store", "sqlite:\(path)"])
        let (stream, _) = try TestConnection.stream(port: server.port, "/events/a")
        #expect(stream.events(5).count == 5)
        #expect(server.stop() == 0)
    }

    @Test func aPathThatCannotBeCreatedStopsTheStart() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        try "x".write(toFile: folder.path("file"), atomically: true, encoding: .utf8)
        let path = folder.path("file/beacon.db")
        for check in [false, true] {
            let run = try start(store: "sqlite:\(path)", checkConfig: check)
            #expect(run.status == 1)
            #expect(run.errors.contains(folder.path("file")) && run.errors.contains("is not a folder"), "\(run.errors)")
        }
    }

    @Test func aFileThatCannotBeWrittenStopsTheStart() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        // Root ignores file modes, so a file-size limit of 0 stands in for a full or read-only
        // disk: every write to a regular file fails (EFBIG), for root too.
        let run = try start(store: "sqlite:\(folder.path())", shellPrefix: "ulimit -f 0")
        #expect(run.status == 1)
        #expect(run.errors.contains("cannot write the store \(folder.path())") && run.errors.contains("free disk space"), "\(run.errors)")
    }

    @Test func aFileThatIsNotABeaconStoreIsLeftAlone() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let text = folder.path("notes.txt")
        try String(repeating: "my notes\n", count: 200).write(toFile: text, atomically: true, encoding: .utf8)
        let other = folder.path("other.db")
        let queue = try DatabaseQueue(path: other)
        try queue.write { try $0.execute(sql: "CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)") }
        try queue.close()
        for (path, says) in [(text, "not an SQLite database"), (other, "another program's SQLite database (tables: invoices)")] {
            let before = try Data(contentsOf: URL(fileURLWithPath: path))
            for check in [false, true] {
                let run = try start(store: "sqlite:\(path)", checkConfig: check)
                #expect(run.status == 1)
                #expect(run.errors.contains("\(path) is not a Beacon store") && run.errors.contains(says), "\(run.errors)")
            }
            #expect(try Data(contentsOf: URL(fileURLWithPath: path)) == before, "\(path) is unchanged")
        }
    }

    @Test func aStoreFromANewerBeaconIsRefused() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        try makeStore(at: folder.path())
        let queue = try DatabaseQueue(path: folder.path())
        try queue.write { try $0.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v9')") }
        try queue.close()
        for check in [false, true] {
            let run = try start(store: "sqlite:\(folder.path())", checkConfig: check)
            #expect(run.status == 1)
            #expect(run.errors.contains("the store \(folder.path()) was written by a newer Beacon (schema v9"), "\(run.errors)")
        }
    }

    @Test func aDamagedStoreIsRefused() throws {
        let folder = try StoreFolder()
        defer { folder.delete() }
        let path = folder.path()
        try makeStore(at: path)
        // Fold the write-ahead log into the file, then overwrite the first page after its
        // 100-byte header (the schema) with garbage.
        let queue = try DatabaseQueue(path: path)
        try queue.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
        try queue.close()
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data(repeating: 0xA5, count: 3000))
        try handle.close()
        for check in [false, true] {
            let run = try start(store: "sqlite:\(path)", checkConfig: check)
            #expect(run.status == 1)
            #expect(run.errors.contains("the store \(path) is damaged") && run.errors.contains("restore it from a backup"), "\(run.errors)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func retentionDeletesOldEvents() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let store = try StoreFolder()
        defer { store.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "50ms"))
        let server = try BeaconProcess(plugins: plugins.url, extraArguments: ["--store", "sqlite:\(store.path())", "--retention", "2s"])
        defer { server.stop() }
        let started = Date().timeIntervalSince1970
        let deleted = waitFor(seconds: 20) { () -> Double? in
            let rows = (try? metric(port: server.port, "beacon_store_retention_deleted_rows_total")) ?? 0
            return rows > 10 ? rows : nil
        }
        #expect(deleted != nil, "retention deleted rows")
        let kept = try storedHistory(port: server.port, "/plugins/a/history?since=0&limit=10000")
        let now = Date().timeIntervalSince1970
        #expect(try #require(kept.first).time > started + 0.5, "the first events are gone")
        // Passes run every second: nothing older than the retention and one pass (plus slack) stays.
        #expect(now - kept[0].time < 4.5, "oldest kept is \(now - kept[0].time) s old")
    }

    @Test(.timeLimit(.minutes(2))) func aStoreThatStopsTakingWritesKeepsStreamsGoingAndCatchesUp() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        let store = try StoreFolder()
        defer { store.delete() }
        try plugins.write("a.lua", counterPlugin(schedule: "20ms"))
        let server = try BeaconProcess(plugins: plugins.url, extraArguments: ["--store", "sqlite:\(store.path())"])
        defer { server.stop() }
        let (stream, _) = try TestConnection.stream(port: server.port, "/events/a")
        #expect(stream.events(5).count == 5)

        // A soft file-size limit of 0 on the running server makes every write to the store fail (EFBIG),
        // as a full disk would, for root too; lifting it is the disk freed again.
        let pid = String(server.process.processIdentifier)
        #expect(try BeaconCommand.run(["--pid", pid, "--fsize=0:unlimited"], executable: URL(fileURLWithPath: "/usr/bin/prlimit")).status == 0)
        #expect(server.waitForLog("event store write failed", seconds: 10), "\(server.log)")
        let during = stream.events(100, seconds: 10)
        #expect(during.count == 100, "streams go on while the store fails")
        #expect(try metric(port: server.port, "beacon_store_write_errors_total") >= 2, "failures are counted, and retried")
        #expect(server.log.components(separatedBy: "event store write failed").count == 2, "logged once a minute at most")

        #expect(try BeaconCommand.run(["--pid", pid, "--fsize=unlimited:unlimited"], executable: URL(fileURLWithPath: "/usr/bin/prlimit")).status == 0)
        #expect(server.waitForLog("event store writes work again", seconds: 10), "\(server.log)")
        let stored = Set(try storedHistory(port: server.port, "/plugins/a/history?limit=10000").map(\.id))
        let missing = during.map(\.numericId).filter { !stored.contains($0) }
        #expect(missing.isEmpty, "events sent while the store failed were written once it came back; missing \(missing)")
    }
}
