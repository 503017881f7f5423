import CLua

/// One call of a global function of a sandbox, run as coroutines that its owner drives step by
/// step: the call's own thread plus those `beacon.spawn` makes. A host call that answers later
/// suspends its thread and no thread of the process waits; when the answer comes, `wake` is
/// called (from any thread) and the owner calls ``step()`` again.
///
/// Contract: ``step()`` and ``cancel()`` are called from one thread at a time (the owner's serial
/// queue), never from inside a host function; `wake` must not block. The sandbox is busy from
/// ``LuaSandbox/start(_:deadline:wake:)`` until the run has finished or is cancelled.
public final class LuaRun {
    /// What a step left behind.
    public enum Step {
        /// The call returned (its first value encoded to JSON) or failed. Final.
        case finished(Result<LuaCallResult, LuaError>)
        /// Every thread waits for an answer: `wake` will be called.
        case waiting
        /// A long computation gave its thread back for others: call ``step()`` again soon.
        case sliceEnded
    }

    /// The function called, for messages (`check_status`).
    public let functionName: String
    /// The run's deadline; past it, the next step ends the run with `.timeout`.
    public let deadline: LuaDeadline
    let wake: @Sendable () -> Void
    private unowned let sandbox: LuaSandbox
    private let main: LuaRunThread
    /// Threads made by `beacon.spawn`, by handle id.
    private(set) var spawned: [Int64: LuaRunThread] = [:]
    private var ready: [LuaRunThread] = []
    private var nextHandle: Int64 = 1
    private var outcome: Result<LuaCallResult, LuaError>?
    /// The thread being resumed right now (host calls and `beacon.wait` act on it).
    private(set) var current: LuaRunThread?
    /// What `beacon.status` set last in this run (any of its threads); part of its result.
    var status: StatusReport?

    init(
        sandbox: LuaSandbox, thread: OpaquePointer, reference: Int32, functionName: String, deadline: LuaDeadline,
        wake: @escaping @Sendable () -> Void
    ) {
        self.sandbox = sandbox
        self.functionName = functionName
        self.deadline = deadline
        self.wake = wake
        self.main = LuaRunThread(id: 0, state: thread, reference: reference)
        ready.append(main)
    }

    /// True once the run has finished or was cancelled.
    public var isFinished: Bool { outcome != nil }

    /// Resumes every thread that can go on, until all wait, one ends a time slice, or the call
    /// returns. Past the deadline, ends the run with `.timeout` (pending host calls are
    /// cancelled).
    public func step() -> Step {
        if let outcome { return .finished(outcome) }
        if LuaDeadline.now() >= deadline {
            return finish(.failure(sandbox.deadlineError(operation: "\(functionName)()")))
        }
        for thread in [main] + spawned.values where thread.isAnswered {
            thread.phase = .ready
            ready.append(thread)
        }
        while !ready.isEmpty {
            let thread = ready.removeFirst()
            if let step = resume(thread) { return step }
        }
        return .waiting
    }

    /// Abandons the run: cancels its pending host calls, closes its threads' to-be-closed
    /// variables and releases the sandbox. Nothing is reported.
    public func cancel() {
        guard outcome == nil else { return }
        _ = finish(.failure(LuaError(kind: .error, message: "the run was cancelled")))
    }

    // MARK: - For the bridge

    /// Adopts a thread made by `beacon.spawn` and returns its handle id.
    func adopt(_ state: OpaquePointer, reference: Int32) -> Int64 {
        let id = nextHandle
        nextHandle += 1
        let thread = LuaRunThread(id: id, state: state, reference: reference)
        thread.startArguments = max(0, lua_gettop(state) - 1)
        spawned[id] = thread
        ready.append(thread)
        return id
    }

    // MARK: - Resuming

    /// Resumes `thread` once and files it by what it did; returns a step when the run is over
    /// or a time slice ended.
    private func resume(_ thread: LuaRunThread) -> Step? {
        let context = sandbox.context
        context.pointee.yield_reason = Int32(BEACON_YIELD_NONE)
        context.pointee.slice_start_ns = beacon_monotonic_ns()
        thread.phase = .suspended
        current = thread
        var count: Int32 = 0
        let arguments = thread.startArguments
        thread.startArguments = 0
        let status = lua_resume(thread.state, nil, arguments, &count)
        current = nil
        switch status {
        case LUA_OK:
            thread.phase = .finished(resultCount: count)
            if thread === main {
                let result = sandbox.result(of: thread.state, count: count, name: functionName)
                return finish(result.map { value in
                    var value = value
                    value.status = self.status
                    return value
                })
            }
            wakeWaiters()
            return nil
        case LUA_YIELD:
            lua_settop(thread.state, -count - 1) // pops the yielded values
            switch context.pointee.yield_reason {
            case Int32(BEACON_YIELD_SLICE):
                thread.phase = .ready
                ready.append(thread)
                return .sliceEnded
            case Int32(BEACON_YIELD_TURN):
                // The thread it spawned is last in line; it goes on right after.
                let spawnedThread = ready.popLast()
                thread.phase = .ready
                if let spawnedThread { ready.insert(spawnedThread, at: 0) }
                ready.insert(thread, at: spawnedThread == nil ? 0 : 1)
                return nil
            default:
                break
            }
            if thread.waitingOn != nil || !thread.waitingFor.isEmpty {
                if thread.isAnswered || allDone(thread.waitingFor) {
                    thread.phase = .ready
                    ready.append(thread)
                }
                return nil
            }
            return fail(thread, with: LuaError(kind: .error, message: """
                \(functionName)() called coroutine.yield() outside a coroutine of its own: Beacon runs \
                \(functionName)() and the functions given to beacon.spawn as coroutines it resumes itself; \
                yield only inside coroutines made with coroutine.create or coroutine.wrap
                """))
        default:
            return fail(thread, with: sandbox.threadError(thread.state, status: status, operation: "\(functionName)()"))
        }
    }

    /// A thread stopped by `error`: the run fails when it is the call's own thread, or on a
    /// timeout or memory error anywhere; a spawned thread's other errors go to its waiters.
    private func fail(_ thread: LuaRunThread, with error: LuaError) -> Step? {
        if thread === main || error.kind == .timeout || error.kind == .memory {
            return finish(.failure(error))
        }
        thread.phase = .failed(error.message)
        wakeWaiters()
        return nil
    }

    private func allDone(_ handles: [Int64]) -> Bool {
        !handles.isEmpty && handles.allSatisfy { spawned[$0]?.isDone ?? true }
    }

    /// Threads in `beacon.wait` whose handles have all finished become ready.
    private func wakeWaiters() {
        for thread in [main] + spawned.values where !thread.waitingFor.isEmpty {
            guard case .suspended = thread.phase, allDone(thread.waitingFor) else { continue }
            thread.waitingFor = []
            thread.phase = .ready
            ready.append(thread)
        }
    }

    /// Ends the run: cancels what still waits, resets the threads and releases the sandbox.
    private func finish(_ result: Result<LuaCallResult, LuaError>) -> Step {
        outcome = result
        ready = []
        var succeeded = false
        if case .success = result { succeeded = true }
        for thread in spawned.values.sorted(by: { $0.id < $1.id }) {
            thread.waitingOn?.cancel()
            sandbox.discard(thread.state, reference: thread.reference)
        }
        spawned = [:]
        main.waitingOn?.cancel()
        sandbox.runEnded(main.state, reference: main.reference, reusable: succeeded)
        return .finished(result)
    }
}

extension LuaRunThread {
    /// Suspended on a host call whose answer has come.
    fileprivate var isAnswered: Bool {
        guard case .suspended = phase, let pending = waitingOn else { return false }
        return pending.currentAnswer != nil
    }
}
