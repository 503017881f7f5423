/// The context a host function is called with.
public struct LuaHostCall: Sendable {
    /// The deadline of the current run; a host function should not block past it.
    public var deadline: LuaDeadline
    /// The arguments Lua passed, converted to plain values.
    public var arguments: [LuaValue]

    /// Creates a call context.
    public init(deadline: LuaDeadline, arguments: [LuaValue]) {
        self.deadline = deadline
        self.arguments = arguments
    }
}

/// What a host function hands back: values to return to Lua, or a message that becomes a Lua
/// error (raised by C, never by Swift).
public enum LuaHostResult: Sendable {
    case values([LuaValue])
    case error(String)
}

/// A Swift function callable from Lua as `beacon.<path>(...)`.
public typealias LuaHostFunction = @Sendable (LuaHostCall) -> LuaHostResult
