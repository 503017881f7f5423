import CLua

/// Converts values on the Lua stack to `LuaValue` with API calls that cannot raise and raw
/// access only. Bounded: nesting, total number of values, no cycles.
///
/// A table becomes `.table(array:fields:)`: `array` holds the items at keys 1...n (up to the
/// first nil), `fields` the string keys sorted bytewise. Any other key is refused.
struct LuaStackReader {
    static let maxDepth = 64

    struct Failure: Error {
        var reason: String
    }

    private let state: OpaquePointer
    private var budget: Int
    private var visiting: [UnsafeRawPointer] = []

    init(state: OpaquePointer, maxValues: Int = 100_000) {
        self.state = state
        budget = maxValues
    }

    /// Reads the value at absolute stack `index`; the stack is left as it was.
    mutating func read(at index: Int32) throws(Failure) -> LuaValue {
        try read(at: index, depth: 0)
    }

    private mutating func read(at index: Int32, depth: Int) throws(Failure) -> LuaValue {
        budget -= 1
        guard budget >= 0 else { throw Failure(reason: "too many values") }
        let type = lua_type(state, index)
        switch type {
        case LUA_TNIL, LUA_TNONE:
            return .nil
        case LUA_TBOOLEAN:
            return .boolean(lua_toboolean(state, index) != 0)
        case LUA_TNUMBER:
            if lua_isinteger(state, index) != 0 { return .integer(lua_tointegerx(state, index, nil)) }
            return .number(lua_tonumberx(state, index, nil))
        case LUA_TSTRING:
            let bytes = LuaStack.stringBytes(state, index)
            if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
            return .bytes(Array(bytes))
        case LUA_TTABLE:
            return try readTable(at: index, depth: depth)
        case LUA_TFUNCTION:
            return .function
        default:
            return .other(typeName: LuaStack.typeName(state, type))
        }
    }

    private mutating func readTable(at table: Int32, depth: Int) throws(Failure) -> LuaValue {
        guard depth < Self.maxDepth else {
            throw Failure(reason: "tables nested more than \(Self.maxDepth) levels deep")
        }
        guard let identity = lua_topointer(state, table) else { return .table(array: [], fields: []) }
        guard !visiting.contains(identity) else { throw Failure(reason: "cyclic table") }
        visiting.append(identity)
        defer { visiting.removeLast() }
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        guard lua_checkstack(state, 4) != 0 else { throw Failure(reason: "Lua stack exhausted") }

        var array: [LuaValue] = []
        while true {
            if lua_rawgeti(state, table, Int64(array.count + 1)) == LUA_TNIL { break } // pushes the item
            array.append(try read(at: lua_gettop(state), depth: depth + 1))
            lua_settop(state, base) // pops the item
        }
        lua_settop(state, base)

        var fields: [LuaField] = []
        lua_pushnil(state)
        while lua_next(state, table) != 0 {
            let keyType = lua_type(state, -2)
            if keyType == LUA_TSTRING {
                let key = LuaStack.string(state, -2)
                fields.append(LuaField(key: key, value: try read(at: lua_gettop(state), depth: depth + 1)))
            } else if keyType == LUA_TNUMBER, lua_isinteger(state, -2) != 0,
                case let key = lua_tointegerx(state, -2, nil), key >= 1, key <= Int64(array.count) {
                // already read as an item
            } else {
                let what = keyType == LUA_TNUMBER
                    ? "key \(lua_tonumberx(state, -2, nil))" : "a \(LuaStack.typeName(state, keyType)) key"
                throw Failure(reason: "table has \(what); only items 1..n and string keys are supported")
            }
            lua_settop(state, -2) // pops the value, keeps the key for lua_next
        }
        fields.sort { $0.key.utf8.lexicographicallyPrecedes($1.key.utf8) }
        return .table(array: array, fields: fields)
    }
}
