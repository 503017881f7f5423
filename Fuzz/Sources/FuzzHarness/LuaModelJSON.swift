/// The JSON a check result must encode to, computed from the model by the rules Beacon
/// documents for results (written out again here, not Beacon's code): keys `1..n` are an array,
/// string keys an object with keys sorted bytewise, an empty table `{}`; integers as integers,
/// floats in Swift's shortest form; refused: functions, threads, userdata, NaN and infinities,
/// mixed or other keys, holes, cycles, invalid UTF-8, more than 64 nested tables, more bytes
/// than the limit.
struct LuaModelJSON {
    struct Refused: Error {}

    static let maxDepth = 64

    private let model: LuaModel
    private let limit: Int
    private var output: [UInt8] = []
    private var path: [Int] = []

    /// The expected JSON of `value`, or nil when the encoder must refuse it.
    static func expected(_ value: LuaModel.Value, in model: LuaModel, limit: Int) -> [UInt8]? {
        guard value != .nil else { return nil }
        var encoder = LuaModelJSON(model: model, limit: limit)
        do {
            try encoder.encode(value, depth: 0)
        } catch {
            return nil
        }
        return encoder.output
    }

    private init(model: LuaModel, limit: Int) {
        self.model = model
        self.limit = limit
    }

    private mutating func encode(_ value: LuaModel.Value, depth: Int) throws(Refused) {
        switch value {
        case .nil, .function, .thread, .userdata:
            throw Refused()
        case .boolean(let flag):
            self.append(flag ? "true" : "false")
        case .integer(let integer):
            self.append(String(integer))
        case .float(let number):
            guard number.isFinite else { throw Refused() }
            self.append(number.description)
        case .string(let bytes):
            try self.appendString(bytes)
        case .table(let id):
            try self.encodeTable(id, depth: depth)
        }
        // Past the limit the result is refused whatever follows; stopping here also bounds the
        // work on tables shared many times over.
        if self.output.count > self.limit { throw Refused() }
    }

    private mutating func encodeTable(_ id: Int, depth: Int) throws(Refused) {
        guard depth < Self.maxDepth, !self.path.contains(id) else { throw Refused() }
        self.path.append(id)
        defer { self.path.removeLast() }
        let entries = self.model.tables[id]
        if entries.isEmpty {
            self.append("{}")
            return
        }
        var integers: [Int64] = []
        var strings: [[UInt8]] = []
        for key in entries.keys {
            switch key {
            case .integer(let integer): integers.append(integer)
            case .string(let bytes): strings.append(bytes)
            case .float, .boolean, .table: throw Refused()
            }
        }
        if !integers.isEmpty && !strings.isEmpty { throw Refused() }
        if !integers.isEmpty {
            guard integers.allSatisfy({ $0 >= 1 && $0 <= Int64(integers.count) }) else { throw Refused() }
            self.output.append(0x5B)
            for index in 1...Int64(integers.count) {
                if index > 1 { self.output.append(0x2C) }
                guard let item = entries[.integer(index)] else { throw Refused() }
                try self.encode(item, depth: depth + 1)
            }
            self.output.append(0x5D)
        } else {
            self.output.append(0x7B)
            for (offset, key) in strings.sorted(by: { $0.lexicographicallyPrecedes($1) }).enumerated() {
                if offset > 0 { self.output.append(0x2C) }
                try self.appendString(key)
                self.output.append(0x3A)
                guard let item = entries[.string(key)] else { throw Refused() }
                try self.encode(item, depth: depth + 1)
            }
            self.output.append(0x7D)
        }
    }

    private mutating func appendString(_ bytes: [UInt8]) throws(Refused) {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw Refused() }
        self.output.append(0x22)
        for byte in bytes {
            switch byte {
            case 0x22: self.append("\\\"")
            case 0x5C: self.append("\\\\")
            case 0x0A: self.append("\\n")
            case 0x0D: self.append("\\r")
            case 0x09: self.append("\\t")
            case 0x08: self.append("\\b")
            case 0x0C: self.append("\\f")
            case 0..<0x20:
                let hex = String(byte, radix: 16)
                self.append("\\u00" + (hex.count == 1 ? "0" : "") + hex)
            default: self.output.append(byte)
            }
        }
        self.output.append(0x22)
        if self.output.count > self.limit { throw Refused() }
    }

    private mutating func append(_ text: String) {
        self.output += text.utf8
    }
}
