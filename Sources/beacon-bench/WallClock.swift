#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Wall-clock time as Unix seconds: the clock Beacon's `beacon.now()` stamps results with.
enum WallClock {
    /// Now, in Unix seconds (a Double holds about a quarter of a microsecond at today's dates).
    static func now() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// `seconds` as a JSON number with microseconds: `1764023410.123456`.
    static func format(_ seconds: Double) -> String {
        let micros = Int64((seconds * 1e6).rounded())
        let whole = micros / 1_000_000, fraction = micros % 1_000_000
        let digits = String(fraction)
        return "\(whole)." + String(repeating: "0", count: 6 - digits.count) + digits
    }
}
