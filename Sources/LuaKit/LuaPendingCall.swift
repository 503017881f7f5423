import Dispatch
import Synchronization

/// A host call whose answer comes later: the host function starts its work (a request, a timer, a
/// child process), returns `.pending(call)`, and answers with ``succeed(_:)`` or ``fail(_:)`` from
/// any thread when the work is done.
///
/// Contract:
/// - The first answer counts; later ones are ignored.
/// - A host function must answer by the run's deadline (`LuaHostCall.deadline`) or soon after;
///   the run does not wait past its deadline in any case.
/// - When the run no longer wants the answer (its deadline passed, the run ended, the plugin was
///   reloaded or stopped), the handlers given to ``onCancel(_:)`` run, once, so the work can be
///   stopped (a request cancelled, a child killed). An answer given after that is ignored.
public final class LuaPendingCall: Sendable {
    private struct State {
        var answer: LuaHostResult?
        var waker: (@Sendable () -> Void)?
        var cancelHandlers: [@Sendable () -> Void] = []
        var isCancelled = false
    }

    private let state = Mutex(State())

    /// Creates a call waiting for its answer.
    public init() {}

    /// Answers with values returned to Lua.
    public func succeed(_ values: [LuaValue]) {
        answer(.values(values))
    }

    /// Answers with a message raised as a Lua error in the caller.
    public func fail(_ message: String) {
        answer(.error(message))
    }

    /// Answers with `result` (`.pending` is not an answer and is treated as an error).
    public func answer(_ result: LuaHostResult) {
        let result: LuaHostResult = if case .pending = result { .error("a host call answered with another pending call") } else { result }
        let waker = state.withLock { state -> (@Sendable () -> Void)? in
            guard state.answer == nil, !state.isCancelled else { return nil }
            state.answer = result
            state.cancelHandlers = []
            return state.waker
        }
        waker?()
    }

    /// Runs `body` once if the caller stops waiting before the answer comes; at once when it has
    /// stopped already. Never runs after an answer was given.
    public func onCancel(_ body: @escaping @Sendable () -> Void) {
        let runNow = state.withLock { state -> Bool in
            if state.isCancelled { return true }
            if state.answer == nil { state.cancelHandlers.append(body) }
            return false
        }
        if runNow { body() }
    }

    /// True once the caller stopped waiting.
    public var isCancelled: Bool { state.withLock { $0.isCancelled } }

    // MARK: - For the sandbox

    /// Stops waiting: runs the cancel handlers unless an answer came first. The sandbox calls it
    /// when the run stops waiting; tools and tests that call host functions directly may too.
    public func cancel() {
        let handlers = state.withLock { state -> [@Sendable () -> Void] in
            guard state.answer == nil, !state.isCancelled else { return [] }
            state.isCancelled = true
            state.waker = nil
            defer { state.cancelHandlers = [] }
            return state.cancelHandlers
        }
        for handler in handlers { handler() }
    }

    /// Calls `waker` (once, from whichever thread answers) when the answer comes; at once if it
    /// is already there.
    func whenAnswered(_ waker: @escaping @Sendable () -> Void) {
        let ready = state.withLock { state -> Bool in
            if state.answer != nil { return true }
            state.waker = waker
            return false
        }
        if ready { waker() }
    }

    /// The answer, if it has come.
    var currentAnswer: LuaHostResult? { state.withLock { $0.answer } }

    /// Blocks the calling thread until the answer comes or `deadline` passes (then cancels and
    /// returns nil). For callers outside a run (tools, tests) and where Lua cannot yield; never on
    /// an event loop.
    public func wait(until deadline: LuaDeadline) -> LuaHostResult? {
        let signal = DispatchSemaphore(value: 0)
        whenAnswered { signal.signal() }
        let seconds = deadline.secondsRemaining
        let timeout: DispatchTime = seconds > 1e6 ? .distantFuture : .now() + max(0, seconds)
        if signal.wait(timeout: timeout) == .success, let answer = currentAnswer { return answer }
        cancel()
        return currentAnswer
    }
}
