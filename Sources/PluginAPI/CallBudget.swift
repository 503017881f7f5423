import Dispatch
import LuaKit

/// How long one host call may wait for its answer: the sooner of its own timeout and the run's
/// deadline.
struct CallBudget {
    /// The effective timeout in seconds (never negative).
    var seconds: Double
    /// The absolute point at which the call gives up.
    var deadline: LuaDeadline

    /// The budget for a call that asked for `requested` seconds (nil: `fallback`) during a run
    /// that ends at `run`.
    init(requested: Double?, fallback: Double, run: LuaDeadline) {
        let wanted = requested ?? fallback
        let remaining = max(0, run.secondsRemaining)
        self.seconds = min(wanted, remaining)
        self.deadline = min(LuaDeadline.after(seconds: wanted), run)
    }

    /// Seconds left before `deadline` (zero once it has passed).
    var remaining: Double { max(0, deadline.secondsRemaining) }

    /// `remaining` in nanoseconds for NIO, clamped so that no input can overflow `Int64`.
    var remainingNanoseconds: Int64 { Int64(min(remaining, 1e9) * 1e9) }

    /// `deadline` on Dispatch's clock (also `CLOCK_MONOTONIC`), `.distantFuture` when beyond reach.
    var dispatchDeadline: DispatchTime {
        let seconds = remaining
        return seconds > 1e9 ? .distantFuture : .now() + .nanoseconds(Int(seconds * 1e9))
    }

    /// True once the deadline has passed.
    var isExpired: Bool { deadline.secondsRemaining <= 0 }

    /// The message every host function returns on a timeout: `timed out after 2 s`.
    var timedOutMessage: String { "timed out after \(Self.format(seconds)) s" }

    /// `2`, `0.3`, `1.25`: seconds rounded to hundredths without trailing zeros.
    static func format(_ seconds: Double) -> String {
        let rounded = (seconds * 100).rounded() / 100
        if rounded == rounded.rounded(), let whole = Int(exactly: rounded) { return String(whole) }
        return String(rounded)
    }

    /// Reads an optional timeout argument: nil when absent, an error unless a positive number.
    static func timeoutArgument(_ value: LuaValue, function: String) throws(HostArgumentError) -> Double? {
        if value.isNil { return nil }
        guard let seconds = value.numberValue, seconds > 0, seconds.isFinite else {
            throw HostArgumentError(function, "timeout must be a positive number of seconds")
        }
        return seconds
    }
}

/// Milliseconds since `start` on the monotonic clock, rounded to 0.1 ms.
func millisecondsSince(_ start: LuaDeadline) -> Double {
    let elapsed = LuaDeadline.now().nanoseconds &- start.nanoseconds
    return (Double(elapsed) / 100_000).rounded() / 10
}
