/// JSON helpers with the same rules as results (used by `beacon.json` and by tests).
///
/// Encoding: a table with only `array` items is a JSON array, one with only `fields` an object
/// (in the given order), an empty table is `{}`; a table with both is refused ("mixes array
/// items and named keys"). `.nil` is `null`. Refused with `.badResult`: functions, other Lua
/// types, NaN and infinities, nesting deeper than 64 levels.
///
/// Decoding: strict RFC 8259; objects become `fields` in document order, arrays `array`,
/// `null` becomes `.nil`, integers that fit in 64 bits `.integer`, other numbers `.number`.
/// Errors are `.error` with the offset of the problem.
public enum LuaJSON {
    /// Encodes a value as compact JSON (UTF-8).
    public static func encode(_ value: LuaValue) throws(LuaError) -> [UInt8] {
        var writer = JSONWriter(limit: Int.max)
        do {
            try encode(value, into: &writer, depth: 0)
        } catch {
            throw LuaError(kind: .badResult, message: error.message(root: "value"))
        }
        return writer.bytes
    }

    /// Decodes JSON text into a value.
    public static func decode(_ bytes: [UInt8]) throws(LuaError) -> LuaValue {
        try JSONParser.parse(bytes)
    }

    private static func encode(_ value: LuaValue, into writer: inout JSONWriter, depth: Int) throws(JSONEncodeFailure) {
        switch value {
        case .nil:
            writer.append("null")
        case .boolean(let flag):
            writer.append(flag ? "true" : "false")
        case .integer(let integer):
            writer.appendInteger(integer)
        case .number(let number):
            try writer.appendNumber(number)
        case .string(let string):
            try writer.appendString(string)
        case .bytes(let raw):
            guard let string = String(validating: raw, as: UTF8.self) else {
                throw JSONEncodeFailure("string is not valid UTF-8")
            }
            try writer.appendString(string)
        case .function:
            throw JSONEncodeFailure("cannot encode a function as JSON")
        case .other(let typeName):
            throw JSONEncodeFailure("cannot encode a \(typeName) as JSON")
        case .table(let array, let fields):
            guard depth < LuaStackEncoder.maxDepth else {
                throw JSONEncodeFailure("tables are nested more than \(LuaStackEncoder.maxDepth) levels deep")
            }
            if !array.isEmpty && !fields.isEmpty {
                throw JSONEncodeFailure("table mixes array items and named keys")
            }
            if !array.isEmpty {
                writer.append(0x5B)
                for (offset, item) in array.enumerated() {
                    if offset > 0 { writer.append(0x2C) }
                    do {
                        try encode(item, into: &writer, depth: depth + 1)
                    } catch {
                        throw error.within(.index(offset + 1))
                    }
                }
                writer.append(0x5D)
            } else {
                writer.append(0x7B)
                for (offset, field) in fields.enumerated() {
                    if offset > 0 { writer.append(0x2C) }
                    try writer.appendString(field.key)
                    writer.append(0x3A)
                    do {
                        try encode(field.value, into: &writer, depth: depth + 1)
                    } catch {
                        throw error.within(.key(field.key))
                    }
                }
                writer.append(0x7D)
            }
        }
    }
}
