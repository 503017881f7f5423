/// Serialises values for C to push (see `beacon_tape.h` for the layout).
struct LuaTapeWriter {
    static let maxDepth = 100

    struct Failure: Error {}

    private(set) var bytes: [UInt8] = []

    init(count: Int) {
        appendWord(UInt64(count))
    }

    /// A tape of `values`, or nil when they are nested too deeply.
    static func tape(_ values: [LuaValue]) -> [UInt8]? {
        var writer = LuaTapeWriter(count: values.count)
        do {
            for value in values { try writer.append(value) }
        } catch {
            return nil
        }
        return writer.bytes
    }

    mutating func append(_ value: LuaValue, depth: Int = 0) throws(Failure) {
        guard depth <= Self.maxDepth else { throw Failure() }
        switch value {
        case .nil, .function, .other:
            bytes.append(0)
        case .boolean(let flag):
            bytes.append(flag ? 2 : 1)
        case .integer(let integer):
            bytes.append(3)
            appendWord(UInt64(bitPattern: integer))
        case .number(let number):
            bytes.append(4)
            appendWord(number.bitPattern)
        case .string(let string):
            bytes.append(5)
            appendText(string)
        case .bytes(let raw):
            raw.withUnsafeBytes { appendString(bytes: $0) }
        case .table(let array, let fields):
            bytes.append(6)
            appendWord(UInt64(array.count))
            appendWord(UInt64(fields.count))
            for item in array { try append(item, depth: depth + 1) }
            for field in fields {
                appendText(field.key)
                try append(field.value, depth: depth + 1)
            }
        }
    }

    /// A string value from raw bytes (which need not be UTF-8).
    mutating func appendString(bytes raw: UnsafeRawBufferPointer) {
        bytes.append(5)
        appendWord(UInt64(raw.count))
        bytes.append(contentsOf: raw)
    }

    private mutating func appendText(_ string: String) {
        appendWord(UInt64(string.utf8.count))
        bytes.append(contentsOf: string.utf8)
    }

    private mutating func appendWord(_ word: UInt64) {
        withUnsafeBytes(of: word) { bytes.append(contentsOf: $0) }
    }
}
