/// What stops `beacon-bench` before it can measure, with what to do about it.
///
/// Timing never raises one of these: the tool measures, it does not judge. Expectation checks
/// (`--expect-…`) that fail are reported separately, after the measurement is printed.
struct BenchError: Error, CustomStringConvertible {
    /// The message shown to the user: what went wrong and what to do instead.
    let description: String

    private init(_ description: String) { self.description = description }

    static func badURL(_ url: String, _ why: String) -> BenchError {
        BenchError("\(url): \(why); expected http://HOST[:PORT]/PATH")
    }

    static func notLoopback(_ url: String, host: String) -> BenchError {
        BenchError("\(url): host \(host) is not on this machine's loopback; "
            + "beacon-bench only sends to 127.0.0.0/8, [::1] or localhost")
    }

    static func badSourceAddresses(_ text: String, _ why: String) -> BenchError {
        BenchError("--source-ips \(text): \(why); expected loopback addresses such as "
            + "127.0.0.1-127.0.0.8 or 127.0.0.1,127.0.0.2")
    }

    static func sourceFamilyMismatch(_ url: String) -> BenchError {
        BenchError("\(url): its address family differs from --source-ips; use IPv4 source addresses "
            + "for an IPv4 target and ::1 for [::1]")
    }

    static func tooManyConnections(_ wanted: Int, fileLimit: Int) -> BenchError {
        BenchError("--connections \(wanted) needs more open files than this process may have (\(fileLimit)); "
            + "ask for at most \(max(0, fileLimit - FileLimit.reserve)) or raise the hard limit "
            + "(ulimit -Hn) of the shell that starts beacon-bench")
    }

    static func badPID(_ text: String) -> BenchError {
        BenchError("--pid \(text): expected process ids separated by commas, such as 1234 or 1234,1235")
    }

    static func processGone(_ pid: Int32) -> BenchError {
        BenchError("--pid \(pid): no readable /proc/\(pid)/stat and /proc/\(pid)/status; is the server "
            + "running, and is this Linux?")
    }
}
