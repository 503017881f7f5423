/// The context a host function is called with.
public struct LuaHostCall: Sendable {
    /// The deadline of the current run; a host function should not block past it.
    public var deadline: LuaDeadline
    /// The arguments Lua passed, converted to plain values (tables: items 1..n in `array`,
    /// string keys in `fields` sorted bytewise; strings that are not UTF-8 as `.bytes`).
    public var arguments: [LuaValue]

    /// Creates a call context.
    public init(deadline: LuaDeadline, arguments: [LuaValue]) {
        self.deadline = deadline
        self.arguments = arguments
    }
}
