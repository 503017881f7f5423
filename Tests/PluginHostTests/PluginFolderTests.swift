import Foundation
import Logging
import Testing

@testable import PluginHost

/// Scans reuse what they read before only for files whose stamp proves them unchanged.
@Suite struct PluginFolderTests {
    private func scanOnce(_ folder: TempFolder) throws -> PluginFolderScan {
        try PluginFolder(path: folder.path).scan()
    }

    /// A previous scan that read `contents` for every file it has, at `startedAt`.
    private func previous(_ scan: PluginFolderScan, contents: String, startedAt: Int64) -> PluginFolderScan {
        var previous = scan
        previous.files = scan.files.map { file in
            var file = file
            file.contents = Array(contents.utf8)
            return file
        }
        previous.startedAt = startedAt
        return previous
    }

    @Test func anOldFileWithTheSameStampIsNotReadAgain() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("a.lua", "return 1")
        let first = try scanOnce(folder)
        // As if the last scan had read "kept" long after the file's last change.
        let later = Int64(Date().timeIntervalSince1970 * 1e9) + 10_000_000_000
        let again = try PluginFolder(path: folder.path).scan(reusing: previous(first, contents: "kept", startedAt: later))
        #expect(again.files.map { String(decoding: $0.contents, as: UTF8.self) } == ["kept"])
    }

    @Test func aFileChangedJustBeforeTheLastScanIsReadAgain() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("a.lua", "return 1")
        let first = try scanOnce(folder)
        // The last scan ran right after the change: within the margin, the stamp is not trusted.
        let stale = previous(first, contents: "stale", startedAt: first.startedAt)
        let again = try PluginFolder(path: folder.path).scan(reusing: stale)
        #expect(again.files.map { String(decoding: $0.contents, as: UTF8.self) } == ["return 1"])
    }

    @Test func aFileWithAnotherStampIsReadAgain() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        try folder.write("a.lua", "return 1")
        var stale = previous(try scanOnce(folder), contents: "stale", startedAt: Int64.max / 2)
        stale.files[0].stamp?.size += 1
        let again = try PluginFolder(path: folder.path).scan(reusing: stale)
        #expect(again.files.map { String(decoding: $0.contents, as: UTF8.self) } == ["return 1"])
    }

    /// The real flow: an edit that keeps the size and puts the modification time back is still
    /// seen by the next reload (the status-change time moved), once stamps are trusted.
    @Test func aReloadSeesAnEditThatKeepsSizeAndModificationTime() throws {
        let folder = try TempFolder()
        defer { folder.delete() }
        let path = folder.path + "/a.lua"
        try folder.write("a.lua", #"schedule = "1h" function check_status() return 1 end"#)
        var info = stat()
        #expect(stat(path, &info) == 0)
        // Older than the margin before the first scan, so the second scan reuses it.
        Thread.sleep(forTimeInterval: Double(PluginFolder.stampMargin) / 1e9 + 0.2)
        let sink = RecordingSink()
        let host = PluginHost(
            configuration: PluginHostConfiguration(directory: folder.path, startSpread: 0),
            sink: sink, logger: Logger(label: "test"))
        #expect(try host.start().added == ["a"])
        defer { host.stop() }
        #expect(host.reload().unchanged == ["a"])

        // In place (same inode), same size, and the modification time put back.
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.write(contentsOf: Array(#"schedule = "1h" function check_status() return 2 end"#.utf8))
        try handle.close()
        var times = [info.st_atim, info.st_mtim]  // to the nanosecond
        #expect(utimensat(AT_FDCWD, path, &times, 0) == 0)
        #expect(host.reload().changed == ["a"])
    }
}
