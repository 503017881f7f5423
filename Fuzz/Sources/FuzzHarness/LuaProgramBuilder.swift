/// Writes a ``LuaProgram``'s source and model side by side, one choice at a time.
struct LuaProgramBuilder {
    var bytes: FuzzBytes
    var model = LuaModel()
    var lines: [String] = []
    var root = LuaModel.Value.nil
    var raises = false
    /// Model ids of `T[1]`, `T[2]`, …
    private var slots: [Int] = []

    init(_ bytes: FuzzBytes) {
        self.bytes = bytes
    }

    mutating func build() {
        self.lines.append("local T = {}")
        for slot in 1...(1 + self.bytes.choice(6)) {
            self.slots.append(self.model.newTable())
            self.lines.append("T[\(slot)] = {}")
        }
        // The results are chosen first (the statements then fill the tables they may name), so
        // that the bytes left for statements do not decide them.
        let (valueText, value) = self.value()
        let nameText = self.value().text
        var statements = 0
        while !self.bytes.isAtEnd && statements < LuaProgram.maxStatements && !self.raises {
            self.statement()
            statements += 1
        }
        if self.raises { return }
        self.root = value
        self.lines.append("value = \(valueText)")
        self.lines.append("name = \(nameText)")
        self.lines.append("local ok, text = pcall(beacon.json.encode, value)")
        self.lines.append("encoded = ok and text")
        self.lines.append("function check_status() return value, name end")
    }

    private mutating func slot() -> (text: String, id: Int) {
        let index = self.bytes.choice(self.slots.count)
        return ("T[\(index + 1)]", self.slots[index])
    }

    private mutating func statement() {
        switch self.bytes.choice(8) {
        case 0, 1, 2:
            let table = self.slot()
            let (keyText, key) = self.key()
            let (valueText, value) = self.value()
            self.rawset(table, keyText, key, valueText, value)
        case 3:
            let table = self.slot()
            let (keyText, key) = self.key()
            let target = self.slot()
            self.rawset(table, keyText, key, target.text, .table(target.id))
        case 4:
            let table = self.slot()
            self.lines.append("setmetatable(\(table.text), \(Self.metatables[self.bytes.choice(Self.metatables.count)]))")
        case 5:
            self.chain()
        case 6:
            self.fill()
        default:
            let table = self.slot()
            let (keyText, key) = self.key()
            self.rawset(table, keyText, key, "nil", .nil)
        }
    }

    private mutating func rawset(
        _ table: (text: String, id: Int), _ keyText: String, _ key: LuaModel.Value, _ valueText: String,
        _ value: LuaModel.Value
    ) {
        self.lines.append("rawset(\(table.text), \(keyText), \(valueText))")
        guard let normalized = LuaModel.key(for: key) else {
            self.raises = true
            return
        }
        self.model.set(table.id, normalized, value)
    }

    /// `depth` tables nested under one key, the innermost holding a scalar.
    private mutating func chain() {
        let table = self.slot()
        let depth = self.bytes.choice(90)
        let useArray = self.bytes.choice(2) == 0
        let (leafText, leaf) = self.scalar()
        self.lines.append(
            "do local x = \(table.text) for _ = 1, \(depth) do local y = {} rawset(x, \(useArray ? "1" : "\"d\""), y) x = y end rawset(x, \"leaf\", \(leafText)) end"
        )
        var current = table.id
        for _ in 0..<depth {
            let next = self.model.newTable()
            self.model.set(current, useArray ? .integer(1) : .string(Array("d".utf8)), .table(next))
            current = next
        }
        self.model.set(current, .string(Array("leaf".utf8)), leaf)
    }

    /// Keys `1..n` set to one scalar (evaluated once: a long string is not copied n times).
    private mutating func fill() {
        let table = self.slot()
        let count = self.bytes.short() % LuaProgram.maxFill
        let (itemText, item) = self.scalar()
        self.lines.append("do local v = \(itemText) for i = 1, \(count) do rawset(\(table.text), i, v) end end")
        guard count > 0 else { return }
        for index in 1...count { self.model.set(table.id, .integer(Int64(index)), item) }
    }

    // MARK: Values

    private mutating func value() -> (text: String, value: LuaModel.Value) {
        switch self.bytes.choice(5) {
        case 0:
            let table = self.slot()
            return (table.text, .table(table.id))
        case 1:
            switch self.bytes.choice(5) {
            case 0: return ("print", .function)
            case 1: return ("function() end", .function)
            case 2: return ("coroutine.create(print)", .thread)
            case 3: return ("(io.open(\"/dev/null\") or error(\"no /dev/null\"))", .userdata)
            default: return ("{}", .table(self.model.newTable()))
            }
        default:
            return self.scalar()
        }
    }

    private mutating func scalar() -> (text: String, value: LuaModel.Value) {
        switch self.bytes.choice(10) {
        case 0: return ("nil", .nil)
        case 1:
            let flag = self.bytes.choice(2) == 0
            return (flag ? "true" : "false", .boolean(flag))
        case 2:
            // Hexadecimal integer literals wrap around: any bit pattern, min and max included.
            let word = self.bytes.word()
            return ("0x" + String(word, radix: 16), .integer(Int64(bitPattern: word)))
        case 3:
            let small = Int64(Int8(bitPattern: self.bytes.byte()))
            return (String(small), .integer(small))
        case 4:
            let word = self.bytes.word()
            let raw = withUnsafeBytes(of: word.littleEndian) { Array($0) }
            return ("(string.unpack(\"<d\", \(Self.literal(raw))))", .float(Double(bitPattern: word)))
        case 5:
            let (text, number) = Self.floats[self.bytes.choice(Self.floats.count)]
            return (text, .float(number))
        case 6:
            let raw = self.bytes.bytes(self.bytes.choice(24))
            return (Self.literal(raw), .string(raw))
        case 7:
            let byte = self.bytes.byte()
            let count = self.bytes.short()
            return ("string.rep(\(Self.literal([byte])), \(count))", .string(Array(repeating: byte, count: count)))
        case 8:
            let code = self.codePoint()
            return ("utf8.char(\(code))", .string(Self.luaUTF8(code)))
        default:
            let (text, key) = self.key()
            return (text, key)
        }
    }

    private mutating func codePoint() -> UInt32 {
        switch self.bytes.choice(4) {
        case 0: return 0xD800 + UInt32(self.bytes.short() % 0x800) // surrogates
        case 1: return [0x7F, 0x80, 0x7FF, 0x800, 0xFFFF, 0x10000, 0x10FFFF, 0x110000, 0x7FFF_FFFF][self.bytes.choice(9)]
        default: return (UInt32(self.bytes.byte()) | UInt32(self.bytes.short()) << 8) & 0x7FFF_FFFF
        }
    }

    private mutating func key() -> (text: String, value: LuaModel.Value) {
        switch self.bytes.choice(9) {
        case 0:
            let index = Int64(1 + self.bytes.choice(8))
            return (String(index), .integer(index))
        case 1:
            let word = self.bytes.word()
            return ("0x" + String(word, radix: 16), .integer(Int64(bitPattern: word)))
        case 2:
            let (text, number) = [
                ("0", Int64(0)), ("-1", -1), ("math.mininteger", .min), ("math.maxinteger", .max),
            ][self.bytes.choice(4)]
            return (text, .integer(number))
        case 3:
            let (text, number) = Self.floats[self.bytes.choice(Self.floats.count)]
            return (text, .float(number))
        case 4:
            let raw = self.bytes.bytes(self.bytes.choice(12))
            return (Self.literal(raw), .string(raw))
        case 5:
            let name = ["a", "b", "B", "ab", "a0", "_", "", "leaf", "d", "é", "10", "1"][self.bytes.choice(12)]
            return (Self.literal(Array(name.utf8)), .string(Array(name.utf8)))
        case 6:
            switch self.bytes.choice(3) {
            case 0: return ("true", .boolean(true))
            case 1: return ("false", .boolean(false))
            default: return ("nil", .nil)
            }
        default:
            let table = self.slot()
            return (table.text, .table(table.id))
        }
    }

    // MARK: Spelling

    /// Floats worth having, as Lua spells them.
    static let floats: [(String, Double)] = [
        ("(0/0)", .nan), ("(1/0)", .infinity), ("(-1/0)", -.infinity), ("(-0.0)", -0.0), ("0.1", 0.1),
        ("1e300", 1e300), ("2^53", 9_007_199_254_740_992), ("2^63", 9_223_372_036_854_775_808),
        ("(-2^63)", -9_223_372_036_854_775_808), ("5e-324", .leastNonzeroMagnitude), ("3.0", 3.0), ("1.5", 1.5),
        ("1e-7", 1e-7), ("123456789012345678.0", 123_456_789_012_345_678.0), ("math.pi", Double.pi),
    ]

    /// Metatables the encoder must ignore (it reads raw, and runs no metamethod).
    static let metatables = [
        "{__index = function() error(\"__index ran\") end, __newindex = function() error(\"__newindex ran\") end}",
        "{__pairs = function() error(\"__pairs ran\") end, __len = function() return 1e9 end}",
        "{__name = \"Fake\", __tostring = function() error(\"__tostring ran\") end}",
        "{__gc = function() end, __mode = \"k\"}",
        "{__eq = function() return true end, __lt = function() error(\"__lt ran\") end}",
    ]

    /// A Lua string literal holding exactly `bytes`.
    static func literal(_ bytes: [UInt8]) -> String {
        var text = "\""
        for byte in bytes {
            if byte >= 0x20 && byte < 0x7F && byte != 0x22 && byte != 0x5C {
                text.unicodeScalars.append(Unicode.Scalar(byte))
            } else {
                let digits = String(byte)
                text += "\\" + String(repeating: "0", count: 3 - digits.count) + digits
            }
        }
        return text + "\""
    }

    /// What Lua's `utf8.char` produces: UTF-8's bit layout extended up to 0x7FFFFFFF, without
    /// refusing surrogates or values past U+10FFFF.
    static func luaUTF8(_ code: UInt32) -> [UInt8] {
        if code < 0x80 { return [UInt8(code)] }
        var rest = code
        var tail: [UInt8] = []
        var firstMax: UInt32 = 0x3F
        repeat {
            tail.insert(0x80 | UInt8(rest & 0x3F), at: 0)
            rest >>= 6
            firstMax >>= 1
        } while rest > firstMax
        return [UInt8(truncatingIfNeeded: (~firstMax << 1) | rest)] + tail
    }
}
