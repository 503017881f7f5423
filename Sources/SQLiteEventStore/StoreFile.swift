import EventStore
import Foundation
import GRDB

/// A store file's path, and the checks and messages around opening it.
struct StoreFile {
    let path: String

    var exists: Bool { FileManager.default.fileExists(atPath: path) }

    /// Creates the file's folder (and its parents) when missing.
    func createFolder() throws(StoreError) {
        let folder = (path as NSString).deletingLastPathComponent
        guard !folder.isEmpty else { return }
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: folder, isDirectory: &isFolder) {
            if isFolder.boolValue { return }
            throw StoreError(.cannotCreate, "cannot create the store \(path): \(folder) is not a folder; give --store another path")
        }
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        } catch {
            throw StoreError(
                .cannotCreate,
                "cannot create the folder \(folder) for the store \(path) (\(Self.reason(error))); create it, or give --store another path")
        }
    }

    /// Reads an existing file without changing it: refuses one that is not a Beacon store, one
    /// from a newer Beacon, or a damaged one.
    func inspect() throws(StoreError) {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), isFolder.boolValue {
            throw StoreError(.notAStore, "the store \(path) is a folder, not a file; give --store a file path such as \(path)/beacon.db")
        }
        var configuration = Configuration()
        configuration.readonly = true
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            defer { try? queue.close() }
            try queue.read { db in
                let application = try Int32.fetchOne(db, sql: "PRAGMA application_id") ?? 0
                let tables = try String.fetchAll(db, sql: "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
                if application != StoreSchema.applicationId {
                    guard tables.isEmpty else {
                        throw StoreError(
                            .notAStore,
                            "\(path) is not a Beacon store: it is another program's SQLite database (tables: "
                                + "\(tables.prefix(5).joined(separator: ", "))); give --store a file of its own, such as data/beacon.db")
                    }
                    return
                }
                if try StoreSchema.migrator.hasBeenSuperseded(db) {
                    let applied = try StoreSchema.migrator.appliedIdentifiers(db).subtracting(StoreSchema.knownVersions).sorted()
                    throw StoreError(
                        .newerSchema,
                        "the store \(path) was written by a newer Beacon (schema \(applied.joined(separator: ", ")); this one knows "
                            + "\(StoreSchema.knownVersions.joined(separator: ", "))): run that newer Beacon, or give --store another file")
                }
                // Reads every page of the schema and the first of each table: a damaged header or
                // schema shows here rather than at the first write.
                _ = try Int64.fetchOne(db, sql: "SELECT count(*) FROM (SELECT id FROM event ORDER BY id DESC LIMIT 1)")
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw problem(error, opening: true)
        }
    }

    /// A ``StoreError`` for an SQLite failure, naming the file and what to do.
    func problem(_ error: any Error, opening: Bool) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let database = error as? DatabaseError else {
            return StoreError(.io, "the store \(path): \(Self.reason(error))")
        }
        let message = database.message ?? "\(database.resultCode)"
        switch database.resultCode.primaryResultCode {
        case .SQLITE_NOTADB:
            return StoreError(
                .notAStore, "\(path) is not a Beacon store (not an SQLite database: \(message)); move it away, or give --store another file")
        case .SQLITE_CORRUPT:
            return StoreError(
                .corrupt,
                "the store \(path) is damaged (\(message)); restore it from a backup, or move it away to start with an empty store")
        case .SQLITE_CANTOPEN where opening:
            return StoreError(
                .cannotCreate,
                "cannot open or create the store \(path) (\(message)); check that its folder is writable, or give --store another path")
        case .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_FULL, .SQLITE_IOERR, .SQLITE_CANTOPEN:
            if opening {
                return StoreError(
                    .unwritable,
                    "cannot write the store \(path) (\(message)); check free disk space, permissions and the file-size limit "
                        + "(ulimit -f), or give --store another file")
            }
            return StoreError(.io, "writing the store \(path) failed: \(message)")
        default:
            return StoreError(opening ? .unwritable : .io, "the store \(path): \(message)")
        }
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? CocoaError, let underlying = error.underlying as? POSIXError {
            return String(cString: strerror(underlying.code.rawValue))
        }
        return (error as NSError).localizedDescription
    }
}
