import LuaKit

/// Small readers for host-function arguments: each returns nil when the value has another type.
extension LuaValue {
    /// The string, if this is a Lua string.
    var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The bytes of a Lua string, whether it is valid UTF-8 (`.string`) or not (`.bytes`): for
    /// arguments that carry a payload (a request body, a program's stdin).
    var payloadBytes: [UInt8]? {
        switch self {
        case .string(let text): return Array(text.utf8)
        case .bytes(let bytes): return bytes
        default: return nil
        }
    }

    /// `bytes` as a Lua string that reaches Lua unchanged: `.string` when they are valid UTF-8
    /// (the common case, and what tools print), `.bytes` otherwise.
    static func luaString(_ bytes: [UInt8]) -> LuaValue {
        if let text = String(validating: bytes, as: UTF8.self) { return .string(text) }
        return .bytes(bytes)
    }

    /// The number, if this is a Lua integer or float.
    var numberValue: Double? {
        switch self {
        case .integer(let value): return Double(value)
        case .number(let value): return value
        default: return nil
        }
    }

    /// The integer, if this is a Lua integer or a float with an integral value.
    var integerValue: Int64? {
        switch self {
        case .integer(let value): return value
        case .number(let value):
            guard value.rounded() == value, let exact = Int64(exactly: value) else { return nil }
            return exact
        default: return nil
        }
    }

    /// True for `nil`.
    var isNil: Bool {
        if case .nil = self { return true }
        return false
    }

    /// The value of string key `key` if this is a table, `.nil` otherwise.
    subscript(field key: String) -> LuaValue {
        guard case .table(_, let fields) = self else { return .nil }
        return fields.first { $0.key == key }?.value ?? .nil
    }

    /// A table with only string keys, built from `(key, value)` pairs in order.
    static func record(_ pairs: KeyValuePairs<String, LuaValue>) -> LuaValue {
        .table(array: [], fields: pairs.map { LuaField(key: $0.key, value: $0.value) })
    }
}

extension Array where Element == LuaValue {
    /// The argument at `index`, or `.nil` when Lua passed fewer.
    func argument(_ index: Int) -> LuaValue {
        indices.contains(index) ? self[index] : .nil
    }
}
