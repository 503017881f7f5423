#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A point on the monotonic clock (`CLOCK_MONOTONIC`, nanoseconds): the same clock the C
/// deadline hook reads, so Swift and C agree on when a run is over.
public struct LuaDeadline: Sendable, Comparable {
    /// Nanoseconds on `CLOCK_MONOTONIC`.
    public var nanoseconds: UInt64

    /// Creates a deadline at an absolute monotonic time.
    public init(nanoseconds: UInt64) {
        self.nanoseconds = nanoseconds
    }

    /// The current monotonic time.
    public static func now() -> LuaDeadline {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return LuaDeadline(nanoseconds: UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec))
    }

    /// `seconds` from now (negative or NaN values mean "now"; huge values saturate to `never`).
    public static func after(seconds: Double) -> LuaDeadline {
        let now = LuaDeadline.now().nanoseconds
        guard seconds > 0 else { return LuaDeadline(nanoseconds: now) }
        let delta = seconds * 1e9
        guard delta < Double(UInt64.max - now) else { return .never }
        return LuaDeadline(nanoseconds: now + UInt64(delta))
    }

    /// A deadline that never passes.
    public static let never = LuaDeadline(nanoseconds: UInt64.max)

    /// Seconds until the deadline; zero or negative once it has passed.
    public var secondsRemaining: Double {
        let now = LuaDeadline.now().nanoseconds
        if nanoseconds >= now { return Double(nanoseconds - now) / 1e9 }
        return -Double(now - nanoseconds) / 1e9
    }

    public static func < (lhs: LuaDeadline, rhs: LuaDeadline) -> Bool {
        lhs.nanoseconds < rhs.nanoseconds
    }
}
