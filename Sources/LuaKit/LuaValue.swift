/// A Lua value as plain Swift data: used for globals, host-function arguments and results.
///
/// `.function` and `.other` are only ever read from Lua; pushing them into Lua gives `nil`.
/// A Lua string that is valid UTF-8 reads as `.string`, any other as `.bytes`, so bytes cross the
/// boundary unchanged in both directions.
public indirect enum LuaValue: Sendable, Equatable {
    case `nil`
    case boolean(Bool)
    /// A Lua integer (`3`).
    case integer(Int64)
    /// A Lua float (`3.0`, `0.5`).
    case number(Double)
    case string(String)
    /// A Lua string as raw bytes (a string that is not valid UTF-8, a response body, a program's output).
    case bytes([UInt8])
    /// A table: its items at keys 1...n (`array`) and its string-keyed `fields`.
    case table(array: [LuaValue], fields: [LuaField])
    /// A Lua function (read only).
    case function
    /// Any other Lua type (userdata, thread), by Lua's type name (read only).
    case other(typeName: String)
}
