import Foundation

/// One plugin file as found on disk.
struct PluginFile: Sendable, Equatable {
    var name: String
    var path: String
    var contents: [UInt8]
}

/// What a scan of the plugins folder found.
struct PluginFolderScan: Sendable {
    var files: [PluginFile] = []
    /// Entries that are not plugins, each with the reason (one warning each).
    var ignored: [(entry: String, reason: String)] = []
    /// The contents of `lib/` (helpers for `require`), so a change there reloads the plugins.
    var libraryFingerprint: [UInt8] = []
}

/// Reads the plugins folder: `NAME.lua` files (regular files, or symlinks to regular files)
/// are plugins; `lib/` is the helper library; everything else is ignored with a reason.
struct PluginFolder: Sendable {
    /// The folder holding the plugins.
    var path: String
    /// The name of the helper library folder inside it.
    static let libraryFolderName = "lib"

    var libraryPath: String { (path as NSString).appendingPathComponent(Self.libraryFolderName) }

    /// Scans the folder. Throws when the folder itself cannot be listed.
    func scan() throws(PluginFolderError) -> PluginFolderScan {
        let fileManager = FileManager.default
        let entries: [String]
        do {
            entries = try fileManager.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw PluginFolderError(path: path, reason: Self.reason(error))
        }
        var scan = PluginFolderScan()
        for entry in entries {
            let full = (path as NSString).appendingPathComponent(entry)
            if entry == Self.libraryFolderName {
                scan.libraryFingerprint = Self.fingerprint(ofFolder: full)
                continue
            }
            guard entry.hasSuffix(".lua") else {
                scan.ignored.append((entry, "not a .lua file"))
                continue
            }
            let name = String(entry.dropLast(4))
            guard PluginName.isValid(name) else {
                scan.ignored.append((entry, "a plugin's name may only use letters, digits, '_' and '-'"))
                continue
            }
            guard Self.isRegularFile(full) else {
                scan.ignored.append((entry, "not a regular file"))
                continue
            }
            guard let data = fileManager.contents(atPath: full) else {
                scan.ignored.append((entry, "cannot be read (check its permissions)"))
                continue
            }
            scan.files.append(PluginFile(name: name, path: full, contents: [UInt8](data)))
        }
        return scan
    }

    /// True for a regular file, following symlinks.
    static func isRegularFile(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG
    }

    /// The names and contents of every `.lua` file under `folder`, as one byte string.
    private static func fingerprint(ofFolder folder: String) -> [UInt8] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var bytes: [UInt8] = []
        var relatives: [String] = []
        while let relative = walker.nextObject() as? String {
            if relative.hasSuffix(".lua") { relatives.append(relative) }
        }
        for relative in relatives.sorted() {
            bytes += Array(relative.utf8) + [0]
            if let data = FileManager.default.contents(atPath: (folder as NSString).appendingPathComponent(relative)) {
                bytes += [UInt8](data)
            }
            bytes.append(0)
        }
        return bytes
    }

    private static func reason(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError,
           underlying.domain == NSPOSIXErrorDomain,
           let message = strerror(Int32(underlying.code)) {
            return String(cString: message)
        }
        return nsError.localizedDescription
    }
}

/// The plugins folder could not be listed.
public struct PluginFolderError: Error, Sendable, CustomStringConvertible {
    /// The folder.
    public var path: String
    /// Why, in the system's words.
    public var reason: String
    public var description: String { "cannot read the plugins folder \(path): \(reason)" }
}
