import CLua

/// Encodes a value on the Lua stack to JSON using only API calls that cannot raise, and raw
/// access only (no metamethod ever runs).
///
/// Rules: a table whose keys are exactly the integers 1...n is an array; a table whose keys
/// are all strings is an object (keys sorted bytewise, so equal tables give equal bytes); an
/// empty table is `{}`. Integers stay integers (`3`), floats keep a fraction or exponent
/// (`3.0`, `1e+300`). Refused: mixed or sparse keys, other key types, functions, userdata,
/// threads, cycles, NaN and infinities, invalid UTF-8, nesting past `maxDepth`, and output
/// longer than the limit.
struct LuaStackEncoder {
    static let maxDepth = 64

    private let state: OpaquePointer
    private(set) var writer: JSONWriter
    private var workspace: Workspace

    /// What an encoding needs besides its output: the tables being visited (to refuse cycles)
    /// and the keys of the objects being written. A sandbox keeps one between calls, so that an
    /// encoding allocates nothing but its output.
    struct Workspace {
        fileprivate var visiting: [UnsafeRawPointer] = []
        fileprivate var keys: [KeyRef] = []

        init() {}
    }

    fileprivate struct KeyRef {
        var bytes: UnsafeRawBufferPointer
        var slot: Int32
    }

    init(state: OpaquePointer, limit: Int, workspace: Workspace = Workspace()) {
        self.state = state
        writer = JSONWriter(limit: limit)
        self.workspace = workspace
    }

    /// Hands the workspace back, emptied, with its capacity.
    mutating func takeWorkspace() -> Workspace {
        var taken = Workspace()
        swap(&taken, &workspace)
        taken.visiting.removeAll(keepingCapacity: true)
        taken.keys.removeAll(keepingCapacity: true)
        return taken
    }

    /// Encodes the value at absolute stack `index`; the stack is left as it was.
    mutating func encode(at index: Int32) throws(JSONEncodeFailure) {
        try encodeValue(at: index, depth: 0)
        // Items are checked as they are written; this catches the closing brackets after the
        // last check and a scalar result.
        try writer.checkSize()
    }

    private mutating func encodeValue(at index: Int32, depth: Int) throws(JSONEncodeFailure) {
        let type = lua_type(state, index)
        switch type {
        case LUA_TNIL:
            writer.append("null")
        case LUA_TBOOLEAN:
            writer.append(lua_toboolean(state, index) != 0 ? "true" : "false")
        case LUA_TNUMBER:
            if lua_isinteger(state, index) != 0 {
                writer.appendInteger(lua_tointegerx(state, index, nil))
            } else {
                try writer.appendNumber(lua_tonumberx(state, index, nil))
            }
        case LUA_TSTRING:
            try writer.appendString(LuaStack.stringBytes(state, index))
        case LUA_TTABLE:
            try encodeTable(at: index, depth: depth)
        default:
            throw JSONEncodeFailure("cannot encode \(LuaStack.describeType(state, type)) as JSON")
        }
    }

    private mutating func encodeTable(at table: Int32, depth: Int) throws(JSONEncodeFailure) {
        guard depth < Self.maxDepth else {
            throw JSONEncodeFailure("tables are nested more than \(Self.maxDepth) levels deep")
        }
        guard let identity = lua_topointer(state, table) else { return writer.append("{}") }
        if workspace.visiting.contains(identity) {
            throw JSONEncodeFailure("cyclic table (it contains itself)")
        }
        workspace.visiting.append(identity)
        defer { workspace.visiting.removeLast() }
        let base = lua_gettop(state)
        defer { lua_settop(state, base) }
        guard lua_checkstack(state, 4) != 0 else { throw tooManyEntries() }

        // One pass over the keys: string keys are kept on the stack with their values (to sort
        // them, then write each value without looking it up again); integer keys are only counted.
        var integerKeys: Int64 = 0
        var lowest = Int64.max
        var highest = Int64.min
        var entries = 0
        lua_pushnil(state)
        while lua_next(state, table) != 0 {
            entries += 1
            if entries &* 2 > writer.limit - writer.bytes.count {
                throw .tooLarge(atLeast: writer.bytes.count + entries * 2, limit: writer.limit)
            }
            let keyType = lua_type(state, -2)
            if keyType == LUA_TSTRING {
                guard lua_checkstack(state, 3) != 0 else { throw tooManyEntries() }
                lua_pushvalue(state, -2) // keeps the key and its value below; the copy continues the walk
            } else if keyType == LUA_TNUMBER && lua_isinteger(state, -2) != 0 {
                let key = lua_tointegerx(state, -2, nil)
                integerKeys += 1
                lowest = Swift.min(lowest, key)
                highest = Swift.max(highest, key)
                lua_settop(state, -2) // pops the value
            } else {
                throw JSONEncodeFailure(badKey(keyType))
            }
        }
        let stringKeys = Int(lua_gettop(state) - base) / 2
        if integerKeys > 0 && stringKeys > 0 {
            throw JSONEncodeFailure(
                "table mixes array items and named keys; use either a list {a, b} or named fields {x = 1}")
        }
        if integerKeys > 0 {
            guard lowest >= 1 else {
                throw JSONEncodeFailure("table has integer key \(lowest); arrays must use keys 1..n")
            }
            guard highest == integerKeys else {
                throw JSONEncodeFailure(
                    "array has holes: \(integerKeys) items but key \(highest); arrays must use keys 1..n without gaps (nil ends a list)")
            }
            try encodeArray(table, count: integerKeys, depth: depth)
        } else if stringKeys > 0 {
            try encodeObject(firstKey: base + 1, count: stringKeys, depth: depth)
        } else {
            writer.append("{}")
        }
    }

    private mutating func encodeArray(_ table: Int32, count: Int64, depth: Int) throws(JSONEncodeFailure) {
        writer.append(0x5B)
        for index in 1...count {
            if index > 1 { writer.append(0x2C) }
            lua_rawgeti(state, table, index) // pushes the item
            do {
                try encodeValue(at: lua_gettop(state), depth: depth + 1)
            } catch {
                throw error.within(.index(Int(index)))
            }
            lua_settop(state, -2) // pops the item
            try writer.checkSize()
        }
        writer.append(0x5D)
    }

    /// Writes the `count` string keys on the stack from slot `firstKey` (every other slot, each
    /// with its value right above it), sorted, with their values.
    private mutating func encodeObject(firstKey: Int32, count: Int, depth: Int) throws(JSONEncodeFailure) {
        let start = workspace.keys.count
        defer { workspace.keys.removeSubrange(start...) }
        for slot in stride(from: firstKey, to: firstKey + 2 * Int32(count), by: 2) {
            workspace.keys.append(KeyRef(bytes: LuaStack.stringBytes(state, slot), slot: slot))
        }
        // In place: sorting the slice itself copied it into a new array on every object.
        workspace.keys.withUnsafeMutableBufferPointer { all in
            var mine = UnsafeMutableBufferPointer(rebasing: all[start...])
            mine.sort { Self.precedes($0.bytes, $1.bytes) }
        }
        writer.append(0x7B)
        for position in start..<(start + count) {
            let key = workspace.keys[position]
            if position > start { writer.append(0x2C) }
            do {
                try writer.appendString(key.bytes)
            } catch {
                throw error.isWhole ? error : JSONEncodeFailure("table key is not valid UTF-8")
            }
            writer.append(0x3A)
            do {
                try encodeValue(at: key.slot + 1, depth: depth + 1) // the value sits above its key
            } catch {
                throw error.within(.key(String(decoding: key.bytes, as: UTF8.self)))
            }
            try writer.checkSize()
        }
        writer.append(0x7D)
    }

    private static func precedes(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        let common = Swift.min(a.count, b.count)
        if common > 0, let pa = a.baseAddress, let pb = b.baseAddress {
            let order = memcmp(pa, pb, common)
            if order != 0 { return order < 0 }
        }
        return a.count < b.count
    }

    private func badKey(_ keyType: Int32) -> String {
        if keyType == LUA_TNUMBER {
            let key = lua_tonumberx(state, -2, nil)
            return "table key \(key) is not an integer or a string; JSON object keys must be strings"
        }
        return "table has \(LuaStack.describeType(state, keyType)) key; JSON object keys must be strings"
    }

    private func tooManyEntries() -> JSONEncodeFailure {
        JSONEncodeFailure("table has too many entries to encode")
    }
}
