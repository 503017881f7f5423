import Benchmark

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// CPU time of the calling thread, the figure that stays meaningful on a machine busy with other
/// work (wall-clock time there includes waiting for a core).
enum ThreadCPU {
    /// Thread CPU per operation, in nanoseconds (already divided by the inner loop's count).
    static let metric = BenchmarkMetric.custom("thread CPU ns/op", polarity: .prefersSmaller, useScalingFactor: false)

    /// Nanoseconds of CPU this thread has used so far.
    static func now() -> Int {
        var time = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &time)
        return Int(time.tv_sec) * 1_000_000_000 + Int(time.tv_nsec)
    }

    /// Runs `body` `count` times and records the thread CPU per run.
    static func measure(_ benchmark: Benchmark, count: Int, _ body: () throws -> Void) rethrows {
        let start = now()
        for _ in 0..<count { try body() }
        benchmark.measurement(metric, (now() - start) / max(1, count))
    }
}
