import CLua

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
    private let context: UnsafeMutablePointer<beacon_context>
    private let bridge: LuaBridge
    private let limits: LuaLimits
    private var busy = false
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
    /// sorted, a table mixing items and named keys is refused…).
    ///
    /// Errors: `.error` (raised, or `name` is not a function), `.timeout` (even if the plugin
    /// caught it), `.memory`, `.badResult` (nil or nothing, function, cycle, NaN/inf, mixed keys,
    /// invalid UTF-8, over `maxResultBytes`…).
    public func call(_ name: String, deadline: LuaDeadline) throws(LuaError) -> LuaCallResult {
        let state = try begin(deadline)
        defer { end(state) }
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        var text = name
        let status = text.withUTF8 { bytes in
            bytes.withMemoryRebound(to: CChar.self) { beacon_call_global(state, $0.baseAddress, $0.count) }
        }
        let failure = LuaFailure(state: state, context: context, limits: limits)
        guard status == LUA_OK else { throw failure.error(status: status, operation: "\(name)()") }
        if let timeout = failure.timeout(operation: "\(name)()") { throw timeout }
        let first = base + 2 // above the message handler
        guard lua_type(state, first) != LUA_TNIL else {
            throw LuaError(kind: .badResult, message: "\(name) returned nil")
        }
        var workspace = LuaStackEncoder.Workspace()
        swap(&workspace, &encoderWorkspace)
        var encoder = LuaStackEncoder(state: state, limit: limits.maxResultBytes, workspace: consume workspace)
        defer { encoderWorkspace = encoder.takeWorkspace() }
        do {
            try encoder.encode(at: first)
        } catch {
            throw LuaError(kind: .badResult, message: error.message(root: "result"))
        }
        var reader = LuaStackReader(state: state)
        let second = (try? reader.read(at: first + 1)) ?? .other(typeName: "table")
        return LuaCallResult(json: encoder.writer.bytes, second: second)
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
