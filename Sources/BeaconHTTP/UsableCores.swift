import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How many event loops the server runs: one per core this process may actually run on.
///
/// `System.coreCount` honours cgroup limits but not the CPU affinity mask, so a server started
/// with `taskset -c 1` would otherwise run one loop per core of the machine, all taking turns on
/// the one core it has.
enum UsableCores {
    static var count: Int {
        let machine = System.coreCount
        guard let allowed = affinityCount(), allowed > 0 else { return machine }
        return min(machine, allowed)
    }

    /// Cores in this process's affinity mask (`Cpus_allowed` in `/proc/self/status`), on Linux.
    private static func affinityCount() -> Int? {
        #if os(Linux)
        guard let status = readSmallFile("/proc/self/status"),
              let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") })
        else { return nil }
        return line.dropFirst("Cpus_allowed:".count).reduce(0) { count, character in
            count + (character.hexDigitValue?.nonzeroBitCount ?? 0)
        }
        #else
        return nil
        #endif
    }

    #if os(Linux)
    private static func readSmallFile(_ path: String) -> String? {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var bytes = [UInt8](repeating: 0, count: 16384)
        let count = bytes.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        guard count > 0 else { return nil }
        return String(decoding: bytes[..<count], as: UTF8.self)
    }
    #endif
}
