/// One sandboxed `lua_State`. Not thread-safe: confine it to one serial queue (hence not
/// `Sendable`; the host wraps it). Closing runs `__gc` finalizers under a deadline.
public final class LuaSandbox {
    /// Creates a state with the sandboxed libraries and the `beacon` table.
    public init(limits: LuaLimits, environment: LuaEnvironment) throws(LuaError) {
    }

    /// Loads `source` as text only (bytecode rejected) under `chunkName` (e.g. "disk.lua") and
    /// runs the top-level chunk under `deadline`.
    public func run(source: [UInt8], chunkName: String, deadline: LuaDeadline) throws(LuaError) {
        throw LuaError(kind: .error, message: "not implemented")
    }

    /// Reads a global without running any Lua code (raw access; no metamethods).
    public func global(_ name: String) -> LuaValue {
        .nil
    }

    /// Calls global function `name` with no arguments under `deadline` and encodes its first
    /// return value to JSON.
    public func call(_ name: String, deadline: LuaDeadline) throws(LuaError) -> LuaCallResult {
        throw LuaError(kind: .error, message: "not implemented")
    }

    /// Bytes currently allocated by this state.
    public var memoryInUse: Int { 0 }

    /// Closes the state (runs finalizers under `deadline`). Idempotent.
    public func close(deadline: LuaDeadline) {
    }
}
