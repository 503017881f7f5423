import Dispatch
import LuaKit
import NIOCore
import Synchronization

/// Blocks the calling thread (a plugin queue, never an event loop) until a future completes or a
/// deadline passes, whichever is first.
final class FutureWait<Value: Sendable>: Sendable {
    private let result = Mutex<Result<Value, any Error>?>(nil)
    private let done = DispatchSemaphore(value: 0)

    private init() {}

    /// The future's result, or nil when `deadline` passed first (the future keeps running; the
    /// caller cancels or closes whatever it belongs to).
    static func result(of future: EventLoopFuture<Value>, before deadline: LuaDeadline) -> Result<Value, any Error>? {
        let wait = FutureWait()
        future.whenComplete { outcome in
            wait.result.withLock { $0 = outcome }
            wait.done.signal()
        }
        let seconds = max(0, deadline.secondsRemaining)
        let timeout: DispatchTime = seconds > 1e6 ? .distantFuture : .now() + seconds
        guard wait.done.wait(timeout: timeout) == .success else { return nil }
        return wait.result.withLock { $0 }
    }
}
