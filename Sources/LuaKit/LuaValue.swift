/// A Lua value as plain Swift data: used for globals, host-function arguments and results.
///
/// `.function` and `.other` are only ever read from Lua; pushing them into Lua gives `nil`.
/// Strings are text: a Lua string that is not valid UTF-8 is read with U+FFFD replacements.
public indirect enum LuaValue: Sendable, Equatable {
    case `nil`
    case boolean(Bool)
    /// A Lua integer (`3`).
    case integer(Int64)
    /// A Lua float (`3.0`, `0.5`).
    case number(Double)
    case string(String)
    /// A table: its items at keys 1...n (`array`) and its string-keyed `fields`.
    case table(array: [LuaValue], fields: [LuaField])
    /// A Lua function (read only).
    case function
    /// Any other Lua type (userdata, thread), by Lua's type name (read only).
    case other(typeName: String)
}
