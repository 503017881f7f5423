/// What the generated Lua program builds, as the harness expects Lua to hold it: the oracle
/// the real encoder is compared with.
struct LuaModel {
    /// A Lua value.
    enum Value: Equatable {
        case `nil`
        case boolean(Bool)
        case integer(Int64)
        case float(Double)
        case string([UInt8])
        /// A table, by its index in ``tables``.
        case table(Int)
        case function
        case thread
        case userdata
    }

    /// A table key after Lua's normalisation (a float with an integer value is that integer).
    enum Key: Hashable {
        case integer(Int64)
        /// A float key that is not an integer, by bit pattern (never NaN, never -0.0).
        case float(UInt64)
        case string([UInt8])
        case boolean(Bool)
        case table(Int)
    }

    /// Every table's raw contents (metatables do not matter: the encoder reads raw).
    var tables: [[Key: Value]] = []

    /// The key Lua stores for `value`, or nil when Lua raises (`nil` and NaN keys).
    static func key(for value: Value) -> Key? {
        switch value {
        case .nil: return nil
        case .boolean(let flag): return .boolean(flag)
        case .integer(let integer): return .integer(integer)
        case .float(let number):
            if number.isNaN { return nil }
            if let integer = Int64(exactly: number) { return .integer(integer) }
            return .float(number.bitPattern)
        case .string(let bytes): return .string(bytes)
        case .table(let id): return .table(id)
        case .function, .thread, .userdata: return nil // never generated as keys
        }
    }

    mutating func newTable() -> Int {
        self.tables.append([:])
        return self.tables.count - 1
    }

    /// `rawset(t, key, value)`: nil removes the entry.
    mutating func set(_ table: Int, _ key: Key, _ value: Value) {
        self.tables[table][key] = value == .nil ? nil : value
    }
}
