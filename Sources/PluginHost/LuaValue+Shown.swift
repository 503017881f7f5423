import LuaKit

extension LuaValue {
    /// The value as an error message shows it: `"10x"`, `-1`, `nil`, `a table`.
    var shown: String {
        switch self {
        case .nil: "nil"
        case .boolean(let b): String(b)
        case .integer(let n): String(n)
        case .number(let x): String(x)
        case .string(let text): "\"\(text)\""
        case .bytes(let raw): "\"\(String(decoding: raw, as: UTF8.self))\""
        case .table: "a table"
        case .function: "a function"
        case .other(let typeName): "a \(typeName)"
        }
    }
}
