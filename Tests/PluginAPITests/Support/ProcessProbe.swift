import Foundation
import Glibc

/// What this test process holds, read from /proc: threads, descriptors, children.
enum ProcessProbe {
    /// Threads of this process (entries of /proc/self/task).
    static func threadCount() -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task").count) ?? 0
    }

    /// What each open descriptor of this process points at (`pipe:[123]`, `anon_inode:[pidfd]`).
    static func descriptorTargets() -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.compactMap { try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/\($0)") }
    }

    /// Open pidfds of this process.
    static func pidfdCount() -> Int {
        descriptorTargets().filter { $0 == "anon_inode:[pidfd]" }.count
    }

    /// What descriptor `fd` of process `pid` points at, or nil once it is gone.
    static func target(pid: pid_t, fd: Int) -> String? {
        try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/\(pid)/fd/\(fd)")
    }

    /// Direct children of this process (any thread's), zombies included.
    static func children() -> [pid_t] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/task")) ?? []
        return tasks.flatMap { task -> [pid_t] in
            let text = read("/proc/self/task/\(task)/children")
            return text.split(separator: " ").compactMap { pid_t($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
        }
    }

    /// The command line of `pid`, arguments joined by spaces ("" once it is gone).
    static func commandLine(_ pid: pid_t) -> String {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/cmdline") else { return "" }
        return data.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }.joined(separator: " ")
    }

    /// True when `pid` no longer exists, not even as a zombie (waits up to `seconds` for it).
    static func isGone(_ pid: pid_t, within seconds: Double = 5) async -> Bool {
        await eventually(within: seconds) { kill(pid, 0) == -1 && errno == ESRCH }
    }

    /// The whole text of a /proc file, read to its end (they report no size, and grow in pages).
    static func read(_ path: String) -> String {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return "" }
        defer { close(fd) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count <= 0 { return String(decoding: bytes, as: UTF8.self) }
            bytes.append(contentsOf: chunk[..<count])
        }
    }

    /// Polls `condition` every 10 ms until it holds or `seconds` pass.
    static func eventually(within seconds: Double = 5, _ condition: () -> Bool) async -> Bool {
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if condition() { return true }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return condition()
    }
}
