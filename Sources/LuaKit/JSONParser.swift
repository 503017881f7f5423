/// A strict RFC 8259 parser producing `LuaValue`s: objects become `fields` (in document
/// order), arrays become `array`, `null` becomes `.nil`, numbers without a fraction or exponent
/// that fit in 64 bits become `.integer`.
struct JSONParser {
    static let maxDepth = 64

    private let text: UnsafeRawBufferPointer
    private var index = 0

    private init(_ text: UnsafeRawBufferPointer) {
        self.text = text
    }

    static func parse(_ bytes: [UInt8]) throws(LuaError) -> LuaValue {
        // `withUnsafeBytes` is untyped-rethrows, so the outcome travels as a Result.
        let outcome = bytes.withUnsafeBytes { buffer in
            Result { () throws(ParseFailure) -> LuaValue in
                var parser = JSONParser(buffer)
                parser.skipSpace()
                let value = try parser.parseValue(depth: 0)
                parser.skipSpace()
                guard parser.index == buffer.count else { throw parser.failure("unexpected data after the JSON value") }
                return value
            }
        }
        switch outcome {
        case .success(let value): return value
        case .failure(let failure): throw LuaError(kind: .error, message: "invalid JSON: \(failure.reason)")
        }
    }

    struct ParseFailure: Error {
        var reason: String
    }

    private func failure(_ reason: String) -> ParseFailure {
        ParseFailure(reason: "\(reason) at offset \(index)")
    }

    private var current: UInt8? {
        index < text.count ? text[index] : nil
    }

    private mutating func skipSpace() {
        while let byte = current, byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09 {
            index += 1
        }
    }

    private mutating func expect(_ literal: StaticString, _ value: LuaValue) throws(ParseFailure) -> LuaValue {
        let count = literal.utf8CodeUnitCount
        guard text.count - index >= count else { throw failure("unexpected end of input") }
        let matches = literal.withUTF8Buffer { expected in
            (0..<count).allSatisfy { expected[$0] == text[index + $0] }
        }
        guard matches else { throw failure("unexpected character") }
        index += count
        return value
    }

    private mutating func parseValue(depth: Int) throws(ParseFailure) -> LuaValue {
        guard let byte = current else { throw failure("unexpected end of input") }
        switch byte {
        case 0x7B: return try parseObject(depth: depth + 1)
        case 0x5B: return try parseArray(depth: depth + 1)
        case 0x22: return .string(try parseString())
        case 0x74: return try expect("true", .boolean(true))
        case 0x66: return try expect("false", .boolean(false))
        case 0x6E: return try expect("null", .nil)
        case 0x2D, 0x30...0x39: return try parseNumber()
        default: throw failure("unexpected character")
        }
    }

    private mutating func parseObject(depth: Int) throws(ParseFailure) -> LuaValue {
        guard depth <= Self.maxDepth else { throw failure("nested more than \(Self.maxDepth) levels deep") }
        index += 1
        var fields: [LuaField] = []
        skipSpace()
        if current == 0x7D {
            index += 1
            return .table(array: [], fields: [])
        }
        while true {
            skipSpace()
            guard current == 0x22 else { throw failure("expected a string key") }
            let key = try parseString()
            skipSpace()
            guard current == 0x3A else { throw failure("expected ':'") }
            index += 1
            skipSpace()
            fields.append(LuaField(key: key, value: try parseValue(depth: depth)))
            skipSpace()
            switch current {
            case 0x2C: index += 1
            case 0x7D: index += 1; return .table(array: [], fields: fields)
            default: throw failure("expected ',' or '}'")
            }
        }
    }

    private mutating func parseArray(depth: Int) throws(ParseFailure) -> LuaValue {
        guard depth <= Self.maxDepth else { throw failure("nested more than \(Self.maxDepth) levels deep") }
        index += 1
        var items: [LuaValue] = []
        skipSpace()
        if current == 0x5D {
            index += 1
            return .table(array: [], fields: [])
        }
        while true {
            skipSpace()
            items.append(try parseValue(depth: depth))
            skipSpace()
            switch current {
            case 0x2C: index += 1
            case 0x5D: index += 1; return .table(array: items, fields: [])
            default: throw failure("expected ',' or ']'")
            }
        }
    }

    private mutating func parseNumber() throws(ParseFailure) -> LuaValue {
        let start = index
        var isInteger = true
        if current == 0x2D { index += 1 }
        guard let first = current, (0x30...0x39).contains(first) else { throw failure("invalid number") }
        if first == 0x30 {
            index += 1
        } else {
            skipDigits()
        }
        if current == 0x2E {
            isInteger = false
            index += 1
            guard skipDigits() > 0 else { throw failure("invalid number") }
        }
        if current == 0x65 || current == 0x45 {
            isInteger = false
            index += 1
            if current == 0x2B || current == 0x2D { index += 1 }
            guard skipDigits() > 0 else { throw failure("invalid number") }
        }
        let literal = String(decoding: UnsafeRawBufferPointer(rebasing: text[start..<index]), as: UTF8.self)
        if isInteger, let integer = Int64(literal) { return .integer(integer) }
        guard let number = Double(literal), number.isFinite else {
            throw ParseFailure(reason: "number \(literal) is out of range at offset \(start)")
        }
        return .number(number)
    }

    @discardableResult
    private mutating func skipDigits() -> Int {
        let start = index
        while let byte = current, (0x30...0x39).contains(byte) { index += 1 }
        return index - start
    }

    private mutating func parseString() throws(ParseFailure) -> String {
        index += 1 // opening quote
        var bytes: [UInt8] = []
        var runStart = index
        while true {
            guard let byte = current else { throw failure("unterminated string") }
            if byte == 0x22 || byte == 0x5C {
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<index]))
                index += 1
                if byte == 0x22 { break }
                try parseEscape(into: &bytes)
                runStart = index
            } else if byte < 0x20 {
                throw failure("control character in string")
            } else if byte >= 0x80 {
                let length = UTF8Check.sequenceLength(text, at: index)
                guard length > 0 else { throw failure("invalid UTF-8 in string") }
                index += length
            } else {
                index += 1
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private mutating func parseEscape(into bytes: inout [UInt8]) throws(ParseFailure) {
        guard let byte = current else { throw failure("unterminated string") }
        index += 1
        switch byte {
        case 0x22, 0x5C, 0x2F: bytes.append(byte)
        case 0x62: bytes.append(0x08)
        case 0x66: bytes.append(0x0C)
        case 0x6E: bytes.append(0x0A)
        case 0x72: bytes.append(0x0D)
        case 0x74: bytes.append(0x09)
        case 0x75:
            var scalar = try parseHex4()
            if (0xD800...0xDBFF).contains(scalar) {
                guard current == 0x5C, index + 1 < text.count, text[index + 1] == 0x75 else {
                    throw failure("unpaired surrogate in \\u escape")
                }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw failure("unpaired surrogate in \\u escape") }
                scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(scalar) {
                throw failure("unpaired surrogate in \\u escape")
            }
            guard let unicode = Unicode.Scalar(scalar) else { throw failure("invalid \\u escape") }
            bytes.append(contentsOf: String(Character(unicode)).utf8)
        default:
            throw failure("invalid escape")
        }
    }

    private mutating func parseHex4() throws(ParseFailure) -> UInt32 {
        guard text.count - index >= 4 else { throw failure("invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = text[index]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case 0x41...0x46: digit = byte - 0x41 + 10
            case 0x61...0x66: digit = byte - 0x61 + 10
            default: throw failure("invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }
}
