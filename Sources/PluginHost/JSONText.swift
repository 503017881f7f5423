import LuaKit

/// Small helpers that assemble the plugin side's JSON documents from already-encoded parts.
/// Strings and numbers go through `LuaJSON`, so they are written exactly as check results are.
enum JSONText {
    static func string(_ text: String) -> [UInt8] {
        (try? LuaJSON.encode(.string(text))) ?? Array(#""""#.utf8)
    }

    static func number(_ value: Double) -> [UInt8] {
        (try? LuaJSON.encode(.number(value))) ?? Array("null".utf8)
    }

    static func integer(_ value: Int) -> [UInt8] { Array(String(value).utf8) }

    static func bool(_ value: Bool) -> [UInt8] { Array((value ? "true" : "false").utf8) }

    static let null: [UInt8] = Array("null".utf8)

    static func object(_ members: [(String, [UInt8])]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "{")]
        for (index, member) in members.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += string(member.0)
            out.append(UInt8(ascii: ":"))
            out += member.1
        }
        out.append(UInt8(ascii: "}"))
        return out
    }

    static func array(_ items: [[UInt8]]) -> [UInt8] {
        var out: [UInt8] = [UInt8(ascii: "[")]
        for (index, item) in items.enumerated() {
            if index > 0 { out.append(UInt8(ascii: ",")) }
            out += item
        }
        out.append(UInt8(ascii: "]"))
        return out
    }
}
