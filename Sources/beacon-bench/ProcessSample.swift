import Foundation

/// CPU time and memory of one or more processes, read from /proc (Linux).
struct ProcessSample: Sendable {
    /// User plus system CPU seconds, summed over the processes.
    var cpuSeconds: Double
    /// The user-space part of ``cpuSeconds``: what the server's own code costs, apart from the
    /// kernel's socket work (which varies more from run to run on a shared machine).
    var userSeconds: Double
    /// Resident memory now (VmRSS), summed, in KiB.
    var rssKiB: Int
    /// The most resident memory so far (VmHWM), summed, in KiB.
    var hwmKiB: Int

    private static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// Reads every process in `pids`; throws when one cannot be read.
    static func take(_ pids: [Int32]) throws -> ProcessSample {
        var sample = ProcessSample(cpuSeconds: 0, userSeconds: 0, rssKiB: 0, hwmKiB: 0)
        for pid in pids {
            guard let cpu = cpuTimes(of: "\(pid)"),
                  let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else {
                throw BenchError.processGone(pid)
            }
            sample.cpuSeconds += cpu.user + cpu.system
            sample.userSeconds += cpu.user
            sample.rssKiB += kibField("VmRSS", in: status)
            sample.hwmKiB += kibField("VmHWM", in: status)
        }
        return sample
    }

    /// This process's CPU seconds so far, or nil where /proc is not there.
    static func ownCPUSeconds() -> Double? { cpuTimes(of: "self").map { $0.user + $0.system } }

    /// utime and stime of /proc/PROCESS/stat (fields 14 and 15, counted after the command's `)`),
    /// in seconds.
    private static func cpuTimes(of process: String) -> (user: Double, system: Double)? {
        guard let stat = try? String(contentsOfFile: "/proc/\(process)/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user / ticksPerSecond, system / ticksPerSecond)
    }

    /// The number of a `Name:   1234 kB` line of /proc/PID/status, 0 when absent (kernel threads).
    private static func kibField(_ name: String, in status: String) -> Int {
        for line in status.split(separator: "\n") where line.hasPrefix(name + ":") {
            return Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "") ?? 0
        }
        return 0
    }
}
