/// A Swift function callable from Lua as `beacon.<path>(...)`, installed through
/// `LuaEnvironment.hostFunctions`. It runs on the sandbox's queue, inside the Lua call.
public typealias LuaHostFunction = @Sendable (LuaHostCall) -> LuaHostResult
