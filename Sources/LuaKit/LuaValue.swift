/// A Lua value as plain Swift data: used for globals, host-function arguments and results.
///
/// `.function` and `.other` are only ever read from Lua; pushing them into Lua gives `nil`.
public indirect enum LuaValue: Sendable, Equatable {
    case `nil`
    case boolean(Bool)
    case integer(Int64)
    case number(Double)
    case string(String)
    /// A table: its array part (keys 1...n) and its string-keyed fields, in a stable order.
    case table(array: [LuaValue], fields: [LuaField])
    /// A Lua function (read only).
    case function
    /// Any other Lua type (userdata, thread…), by Lua's type name (read only).
    case other(typeName: String)
}

/// One string-keyed entry of a table.
public struct LuaField: Sendable, Equatable {
    public var key: String
    public var value: LuaValue

    /// Creates a field.
    public init(key: String, value: LuaValue) {
        self.key = key
        self.value = value
    }
}
