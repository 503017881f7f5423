import Foundation

/// One plugin file as found on disk.
struct PluginFile: Sendable, Equatable {
    var name: String
    var path: String
    var contents: [UInt8]
    /// What `stat` said when the contents were read (nil when not read from a folder scan).
    var stamp: PluginFileStamp? = nil
}

/// The identity and change times of a file, to tell whether it may have changed since it was
/// read: device, inode, size, and the modification and status-change times in nanoseconds.
/// A write always moves the status-change time (no tool can set it back), so with
/// nanosecond-resolution times an equal stamp means equal contents.
struct PluginFileStamp: Sendable, Equatable {
    var device: UInt64
    var inode: UInt64
    var size: Int64
    var modified: Int64
    var changed: Int64

    init(_ info: stat) {
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modified = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changed = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    }
}

/// What a scan of the plugins folder found.
struct PluginFolderScan: Sendable {
    var files: [PluginFile] = []
    /// Entries that are not plugins, each with the reason (one warning each).
    var ignored: [(entry: String, reason: String)] = []
    /// The contents of `lib/` (helpers for `require`), so a change there reloads the plugins.
    var libraryFingerprint: [UInt8] = []
    /// When the scan started (wall clock, ns since 1970), to judge stamps at the next scan.
    var startedAt: Int64 = 0
}

/// Reads the plugins folder: `NAME.lua` files (regular files, or symlinks to regular files)
/// are plugins; `lib/` is the helper library; everything else is ignored with a reason.
struct PluginFolder: Sendable {
    /// The folder holding the plugins.
    var path: String
    /// The name of the helper library folder inside it.
    static let libraryFolderName = "lib"

    var libraryPath: String { (path as NSString).appendingPathComponent(Self.libraryFolderName) }

    /// A stamp must be this much older than the scan that read the file before it is trusted:
    /// on a file system with coarse times, a file written again within the same tick keeps its
    /// stamp, so such a file is read again at the next scan.
    static let stampMargin: Int64 = 2_000_000_000

    /// Scans the folder. Throws when the folder itself cannot be listed.
    ///
    /// With `previous` (the last scan), a file whose stamp has not changed, and was already old
    /// at that scan, is not read again: its contents are taken from `previous`. A reload of a
    /// thousand plugins then costs a `stat` per file rather than a read.
    func scan(reusing previous: PluginFolderScan? = nil) throws(PluginFolderError) -> PluginFolderScan {
        let fileManager = FileManager.default
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let startedAt = Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
        let known = Dictionary(
            (previous?.files ?? []).map { ($0.path, $0) }, uniquingKeysWith: { first, _ in first })
        let trustedBefore = (previous?.startedAt ?? 0) - Self.stampMargin
        let entries: [String]
        do {
            entries = try fileManager.contentsOfDirectory(atPath: path).sorted()
        } catch {
            throw PluginFolderError(path: path, reason: Self.reason(error))
        }
        var scan = PluginFolderScan()
        scan.startedAt = startedAt
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
            var info = stat()
            guard stat(full, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
                scan.ignored.append((entry, "not a regular file"))
                continue
            }
            let stamp = PluginFileStamp(info)
            if let earlier = known[full], earlier.stamp == stamp,
               stamp.modified < trustedBefore, stamp.changed < trustedBefore {
                scan.files.append(earlier)
                continue
            }
            guard let data = fileManager.contents(atPath: full) else {
                scan.ignored.append((entry, "cannot be read (check its permissions)"))
                continue
            }
            scan.files.append(PluginFile(name: name, path: full, contents: [UInt8](data), stamp: stamp))
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
