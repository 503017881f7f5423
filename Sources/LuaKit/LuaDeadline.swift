import CLua

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
        LuaDeadline(nanoseconds: beacon_monotonic_ns()) // the very function the C hook uses
    }

    /// `seconds` from now (negative or NaN values mean "now"; huge values saturate to `never`).
    public static func after(seconds: Double) -> LuaDeadline {
        let now = LuaDeadline.now().nanoseconds
        guard seconds > 0 else { return LuaDeadline(nanoseconds: now) }
        let delta = seconds * 1e9
        guard delta < 1.8e19 else { return .never } // below 2^64, so the conversion cannot trap
        let (sum, overflow) = now.addingReportingOverflow(UInt64(delta))
        return overflow ? .never : LuaDeadline(nanoseconds: sum)
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
