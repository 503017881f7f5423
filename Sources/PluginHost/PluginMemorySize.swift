import LuaKit

/// Memory sizes as plugins declare `memory_limit`: a number of bytes, or a string such as
/// `"512KB"`, `"16MB"`, `"1GB"` (units are powers of 1024; `KiB`, `MiB`, `GiB` mean the same).
enum PluginMemorySize {
    static let acceptedForms = #"a number of bytes or a string such as "512KB", "16MB" or "1GB""#

    /// Bytes, or nil when `value` is not a size.
    static func bytes(from value: LuaValue) -> Int? {
        switch value {
        case .integer(let n) where n > 0: return Int(n)
        case .number(let x) where x >= 1 && x < 1e15: return Int(x)
        case .string(let text): return parse(text)
        default: return nil
        }
    }

    private static func parse(_ text: String) -> Int? {
        let units: [(String, Double)] = [
            ("kib", 1024), ("mib", 1_048_576), ("gib", 1_073_741_824), ("kb", 1024), ("mb", 1_048_576), ("gb", 1_073_741_824), ("b", 1),
        ]
        let lower = text.lowercased()
        guard let (suffix, scale) = units.first(where: { lower.hasSuffix($0.0) }) else { return nil }
        let number = lower.dropLast(suffix.count).trimmingCharacters(in: .whitespaces)
        guard let amount = Double(number), amount > 0, amount * scale < 1e15 else { return nil }
        return Int(amount * scale)
    }
}
