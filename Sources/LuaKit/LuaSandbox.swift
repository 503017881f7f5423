import CLua
import Dispatch

/// One sandboxed `lua_State`. Not thread-safe: use it from one thread at a time (hence not
/// `Sendable`; the host wraps it). Closing runs `__gc` finalizers under a deadline.
///
/// Inside, plugins get the base library (without `dofile`/`loadfile`; `load` is text-only),
/// `string`, `table`, `math`, `utf8`, `coroutine`, `os` (time, clock, date, difftime, getenv),
/// `io` (`open` for reading, `lines` of a named file, `type`), `debug.traceback`, `require`
/// of Lua files in `LuaEnvironment.libraryDirectory`, and the `beacon` table. Removed functions
/// raise an error that says what to use instead.
public final class LuaSandbox {
    private var state: OpaquePointer?
    let context: UnsafeMutablePointer<beacon_context>
    private let bridge: LuaBridge
    private let limits: LuaLimits
    private var busy = false
    /// A run thread kept for the next run (one that returned normally), and its registry anchor.
    private var spareThread: (state: OpaquePointer, reference: Int32)?
    /// Kept between calls (see ``LuaStackEncoder/Workspace``).
    private var encoderWorkspace = LuaStackEncoder.Workspace()

    /// Creates a state with the sandboxed libraries and the `beacon` table.
    ///
    /// Throws `.memory` if `limits.memoryBytes` is too small for the sandbox itself, `.error` if
    /// a host function path is invalid (`beacon.<a.b>` with identifier parts) or conflicts.
    public init(limits: LuaLimits, environment: LuaEnvironment) throws(LuaError) {
        guard let context = beacon_context_new(limits.memoryBytes > 0 ? limits.memoryBytes : 0) else {
            throw LuaError(kind: .memory, message: "cannot allocate a Lua state")
        }
        guard let state = beacon_newstate(context) else {
            beacon_context_free(context)
            throw LuaError(kind: .memory, message: "cannot create a Lua state within \(limits.memoryBytes) bytes")
        }
        let bridge = LuaBridge(environment: environment, limits: limits, context: context)
        bridge.attach()
        if let failure = Self.open(state, context: context, bridge: bridge, limits: limits) {
            beacon_begin(state, LuaDeadline.after(seconds: 0.1).nanoseconds)
            beacon_close(state)
            beacon_context_free(context)
            throw failure
        }
        self.state = state
        self.context = context
        self.bridge = bridge
        self.limits = limits
        context.pointee.slice_ns = limits.timeSlice > 0 ? UInt64(limits.timeSlice * 1e9) : 0
    }

    deinit {
        close(deadline: .after(seconds: 0.1))
        beacon_context_free(context)
    }

    /// Loads `source` as TEXT ONLY (mode "t"; bytecode is rejected) under `chunkName` (e.g.
    /// "disk.lua", shown in messages as given) and runs the top-level chunk under `deadline`.
    public func run(source: [UInt8], chunkName: String, deadline: LuaDeadline) throws(LuaError) {
        let state = try begin(deadline)
        defer { end(state) }
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        let name = chunkName.hasPrefix("@") || chunkName.hasPrefix("=") ? chunkName : "@" + chunkName
        let status = source.withUnsafeBytes { bytes in
            name.withCString { beacon_run(state, bytes.baseAddress, bytes.count, $0) }
        }
        let failure = LuaFailure(state: state, context: context, limits: limits)
        let operation = "loading \(chunkName)"
        guard status == LUA_OK else {
            throw failure.error(status: status, operation: operation, chunkName: chunkName)
        }
        if let timeout = failure.timeout(operation: operation) { throw timeout }
    }

    /// Reads a global without running any Lua code (raw access on the globals table; no
    /// metamethods). Tables are converted like host-function arguments; a table that cannot be
    /// converted (cyclic, too deep, too big) reads as `.other(typeName: "table")`.
    public func global(_ name: String) -> LuaValue {
        guard let state else { return .nil }
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        var name = name
        let status = name.withUTF8 { text in
            text.withMemoryRebound(to: CChar.self) { beacon_get_global(state, $0.baseAddress, $0.count) }
        }
        guard status == LUA_OK else { return .nil }
        var reader = LuaStackReader(state: state)
        return (try? reader.read(at: lua_gettop(state))) ?? .other(typeName: "table")
    }

    /// Calls global function `name` with no arguments under `deadline` and encodes its first
    /// return value to JSON (rules in `LuaStackEncoder`: an empty table is `{}`, object keys are
    /// sorted, a table mixing items and named keys is refused…). The calling thread waits while
    /// the call waits for host calls: for tools and tests; a server drives ``start(_:deadline:wake:)``.
    ///
    /// Errors: `.error` (raised, or `name` is not a function), `.timeout` (even if the plugin
    /// caught it), `.memory`, `.badResult` (nil or nothing, function, cycle, NaN/inf, mixed keys,
    /// invalid UTF-8, over `maxResultBytes`…).
    public func call(_ name: String, deadline: LuaDeadline) throws(LuaError) -> LuaCallResult {
        let signal = DispatchSemaphore(value: 0)
        let run = try start(name, deadline: deadline) { signal.signal() }
        while true {
            switch run.step() {
            case .finished(let result):
                return try result.get()
            case .sliceEnded:
                continue
            case .waiting:
                let seconds = deadline.secondsRemaining
                let timeout: DispatchTime = seconds > 1e6 ? .distantFuture : .now() + max(0, seconds)
                _ = signal.wait(timeout: timeout)
            }
        }
    }

    /// Starts a call of global function `name` with no arguments, as a coroutine (see ``LuaRun``
    /// for how its owner drives it). `wake` is called, from any thread, when a host call it waits
    /// for has answered. Throws when the sandbox is closed or busy, or `name` is not a function.
    public func start(
        _ name: String, deadline: LuaDeadline, wake: @escaping @Sendable () -> Void
    ) throws(LuaError) -> LuaRun {
        let state = try begin(deadline)
        let thread: (state: OpaquePointer, reference: Int32)
        if let spare = spareThread {
            spareThread = nil
            thread = spare
        } else {
            var reference: Int32 = 0
            guard let made = beacon_new_thread(state, &reference) else {
                end(state)
                throw LuaError(kind: .memory, message: "out of memory: cannot start \(name)() within the sandbox limit of \(limits.memoryBytes) bytes")
            }
            thread = (made, reference)
        }
        let base = lua_gettop(state)
        var text = name
        let status = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { beacon_prepare_call(state, thread.state, $0.baseAddress, $0.count) }
        }
        guard status == LUA_OK else {
            let error = LuaFailure(state: state, context: context, limits: limits).error(status: status, operation: "\(name)()")
            lua_settop(state, base)
            spareThread = thread
            end(state)
            throw error
        }
        lua_settop(state, base)
        let run = LuaRun(
            sandbox: self, thread: thread.state, reference: thread.reference, functionName: name, deadline: deadline,
            wake: wake)
        bridge.run = run
        return run
    }

    // MARK: - For runs

    /// The result of a run thread that returned `count` values: the first encoded, the second read.
    func result(of thread: OpaquePointer, count: Int32, name: String) -> Result<LuaCallResult, LuaError> {
        defer { lua_settop(thread, 0) }
        if let timeout = failure(on: thread).timeout(operation: "\(name)()") { return .failure(timeout) }
        let first = lua_gettop(thread) - count + 1
        guard count > 0, lua_type(thread, first) != LUA_TNIL else {
            return .failure(LuaError(kind: .badResult, message: "\(name) returned nil"))
        }
        var workspace = LuaStackEncoder.Workspace()
        swap(&workspace, &encoderWorkspace)
        var encoder = LuaStackEncoder(state: thread, limit: limits.maxResultBytes, workspace: consume workspace)
        defer { encoderWorkspace = encoder.takeWorkspace() }
        do {
            try encoder.encode(at: first)
        } catch {
            return .failure(LuaError(kind: .badResult, message: error.message(root: "result")))
        }
        var second = LuaValue.nil
        if count > 1 {
            var reader = LuaStackReader(state: thread)
            second = (try? reader.read(at: first + 1)) ?? .other(typeName: "table")
        }
        return .success(LuaCallResult(json: encoder.writer.bytes, second: second))
    }

    /// The error that stopped `thread` with `status`.
    func threadError(_ thread: OpaquePointer, status: Int32, operation: String) -> LuaError {
        guard let state else { return LuaError(kind: .error, message: "the Lua sandbox is closed") }
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        if status != LUA_ERRMEM {
            _ = beacon_thread_error(state, thread) // leaves the message (or why not) on top
        }
        return failure(on: state).error(status: status, operation: operation)
    }

    /// The error of a run whose deadline passed while it waited.
    func deadlineError(operation: String) -> LuaError {
        context.pointee.timed_out = 1
        return state.flatMap { failure(on: $0).timeout(operation: operation) }
            ?? LuaError(kind: .timeout, message: "timed out: \(operation) did not finish before its deadline")
    }

    /// Closes the to-be-closed variables of a thread no run needs any more and releases it.
    func discard(_ thread: OpaquePointer, reference: Int32) {
        _ = lua_resetthread(thread)
        if let state { _ = beacon_release_thread(state, reference) }
    }

    /// The run is over: its thread is kept for the next run when it returned normally, discarded
    /// otherwise, and the sandbox is free again.
    func runEnded(_ thread: OpaquePointer, reference: Int32, reusable: Bool) {
        bridge.run = nil
        if reusable, lua_status(thread) == LUA_OK, spareThread == nil {
            lua_settop(thread, 0)
            spareThread = (thread, reference)
        } else {
            discard(thread, reference: reference)
        }
        if let state { end(state) }
    }

    private func failure(on state: OpaquePointer) -> LuaFailure {
        LuaFailure(state: state, context: context, limits: limits)
    }

    /// The allocator's cap in bytes (0 = unlimited). Lowering it below what is in use makes the
    /// next allocation that grows the state fail with `.memory`.
    public var memoryLimit: Int {
        get { Int(context.pointee.limit) }
        set { context.pointee.limit = newValue > 0 ? newValue : 0 }
    }

    /// Bytes currently allocated by this state (0 once closed).
    public var memoryInUse: Int {
        Int(context.pointee.used)
    }

    /// Closes the state, running `__gc` finalizers under `deadline` (finalizers still running
    /// then are stopped). Idempotent; `deinit` closes with a 0.1 s deadline.
    public func close(deadline: LuaDeadline) {
        guard let state, !busy else { return }
        self.state = nil
        bridge.deadline = deadline
        beacon_begin(state, deadline.nanoseconds)
        beacon_close(state)
    }

    private func begin(_ deadline: LuaDeadline) throws(LuaError) -> OpaquePointer {
        guard let state else { throw LuaError(kind: .error, message: "the Lua sandbox is closed") }
        guard !busy else {
            throw LuaError(kind: .error, message: "the Lua sandbox is already running (re-entrant call from a host function)")
        }
        busy = true
        bridge.deadline = deadline
        beacon_begin(state, deadline.nanoseconds)
        return state
    }

    private func end(_ state: OpaquePointer) {
        busy = false
        bridge.deadline = .never
        beacon_begin(state, LuaDeadline.never.nanoseconds)
    }
}

@available(*, unavailable, message: "use a LuaSandbox from one thread at a time")
extension LuaSandbox: Sendable {}
