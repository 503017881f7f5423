import CLua

/// Small readers of the Lua stack that cannot raise.
enum LuaStack {
    /// The bytes of the string at `index`. Only for values whose type is string: on a number,
    /// `lua_tolstring` would convert it in place (and allocate, which can raise).
    static func stringBytes(_ state: OpaquePointer, _ index: Int32) -> UnsafeRawBufferPointer {
        var length = 0
        guard let pointer = lua_tolstring(state, index, &length) else {
            return UnsafeRawBufferPointer(start: nil, count: 0)
        }
        return UnsafeRawBufferPointer(start: pointer, count: length)
    }

    /// The string at `index` as Swift text (invalid UTF-8 is repaired with U+FFFD).
    static func string(_ state: OpaquePointer, _ index: Int32) -> String {
        String(decoding: stringBytes(state, index), as: UTF8.self)
    }

    /// Lua's name of a type ("function", "userdata", "thread"…).
    static func typeName(_ state: OpaquePointer, _ type: Int32) -> String {
        guard let name = lua_typename(state, type) else { return "value" }
        return String(cString: name)
    }

    /// "a function", "a thread (coroutine)", "a userdata"… for messages.
    static func describeType(_ state: OpaquePointer, _ type: Int32) -> String {
        switch type {
        case LUA_TTHREAD: return "a thread (coroutine)"
        case LUA_TLIGHTUSERDATA, LUA_TUSERDATA: return "a userdata"
        default: return "a " + typeName(state, type)
        }
    }
}
