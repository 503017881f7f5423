import LuaKit
import NIOCore

/// `beacon.sleep(seconds)`: answers after `seconds` from a timer on the network event loop.
/// It never answers early: when the run's deadline comes first, the run times out and the
/// timer is cancelled with the call.
enum SleepCall {
    static let function = "beacon.sleep"

    static func sleep(_ call: LuaHostCall) throws(HostArgumentError) -> LuaHostResult {
        guard let seconds = call.arguments.argument(0).numberValue, seconds > 0, seconds.isFinite else {
            throw HostArgumentError(function, "seconds must be a positive number")
        }
        let pending = LuaPendingCall()
        // Over 30 years is "until cancelled"; the clamp keeps the nanoseconds inside Int64.
        let nanoseconds = Int64(min(seconds, 1e9) * 1e9)
        let timer = NetworkRuntime.group.next().scheduleTask(in: .nanoseconds(nanoseconds)) {
            pending.succeed([])
        }
        pending.onCancel { timer.cancel() }
        return .pending(pending)
    }
}
