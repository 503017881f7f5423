/// Appends compact JSON to a byte buffer, refusing what JSON cannot hold (invalid UTF-8,
/// NaN, infinities) and stopping once the output passes `limit`.
struct JSONWriter {
    private(set) var bytes: [UInt8]
    let limit: Int

    init(limit: Int, capacity: Int = 256) {
        self.limit = limit
        bytes = []
        bytes.reserveCapacity(Swift.min(capacity, Swift.max(limit, 16)))
    }

    @inline(__always)
    mutating func append(_ byte: UInt8) {
        bytes.append(byte)
    }

    mutating func append(_ literal: StaticString) {
        literal.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// Throws once the output is over the limit.
    @inline(__always)
    func checkSize() throws(JSONEncodeFailure) {
        if bytes.count > limit { throw .tooLarge(atLeast: bytes.count, limit: limit) }
    }

    /// Throws if `count` more bytes cannot fit.
    @inline(__always)
    func reserve(_ count: Int) throws(JSONEncodeFailure) {
        if count > limit - bytes.count { throw .tooLarge(atLeast: bytes.count + count, limit: limit) }
    }

    mutating func appendInteger(_ value: Int64) {
        if value == 0 {
            bytes.append(0x30)
            return
        }
        var magnitude = value.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0) // room for 24 digits
        var count = 0
        withUnsafeMutableBytes(of: &digits) { buffer in
            while magnitude > 0 {
                buffer[23 - count] = UInt8(truncatingIfNeeded: magnitude % 10) &+ 0x30
                magnitude /= 10
                count += 1
            }
            if value < 0 { bytes.append(0x2D) }
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[(24 - count)...]))
        }
    }

    /// Shortest round-trip form (`0.1`, `3.0`, `1e+300`); NaN and infinities are refused.
    mutating func appendNumber(_ value: Double) throws(JSONEncodeFailure) {
        guard value.isFinite else {
            throw JSONEncodeFailure("cannot encode \(value.isNaN ? "NaN" : "\(value)") as JSON")
        }
        bytes.append(contentsOf: value.description.utf8)
    }

    /// A string known to be valid UTF-8 (a Swift `String`).
    mutating func appendString(_ string: String) throws(JSONEncodeFailure) {
        var string = string
        // `withUTF8` is untyped-rethrows, so the outcome travels as a Result.
        let outcome = string.withUTF8 { buffer in
            Result { () throws(JSONEncodeFailure) in try appendString(UnsafeRawBufferPointer(buffer)) }
        }
        try outcome.get()
    }

    /// A quoted, escaped string; throws if `text` is not valid UTF-8.
    mutating func appendString(_ text: UnsafeRawBufferPointer) throws(JSONEncodeFailure) {
        try reserve(text.count + 2)
        bytes.append(0x22)
        var index = 0
        var runStart = 0
        let count = text.count
        while index < count {
            let byte = text[index]
            if byte >= 0x20 && byte < 0x80 && byte != 0x22 && byte != 0x5C {
                index += 1
                continue
            }
            if byte >= 0x80 {
                let length = UTF8Check.sequenceLength(text, at: index)
                guard length > 0 else {
                    throw JSONEncodeFailure(
                        "string is not valid UTF-8 (byte 0x\(String(byte, radix: 16)) at offset \(index))")
                }
                index += length
                continue
            }
            if runStart < index {
                bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<index]))
            }
            appendEscape(byte)
            index += 1
            runStart = index
        }
        if runStart < count {
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: text[runStart..<count]))
        }
        bytes.append(0x22)
        try checkSize()
    }

    private mutating func appendEscape(_ byte: UInt8) {
        bytes.append(0x5C)
        switch byte {
        case 0x22: bytes.append(0x22)
        case 0x5C: bytes.append(0x5C)
        case 0x0A: bytes.append(0x6E) // n
        case 0x0D: bytes.append(0x72) // r
        case 0x09: bytes.append(0x74) // t
        case 0x08: bytes.append(0x62) // b
        case 0x0C: bytes.append(0x66) // f
        default:
            let hex: StaticString = "0123456789abcdef"
            bytes.append(contentsOf: [0x75, 0x30, 0x30]) // u00
            hex.withUTF8Buffer { digits in
                bytes.append(digits[Int(byte >> 4)])
                bytes.append(digits[Int(byte & 0xF)])
            }
        }
    }
}
