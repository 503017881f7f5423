/// Writes bytes one after another into memory the caller has sized beforehand.
///
/// Framing an event through `ByteBuffer`'s own `write`/`set` calls checked the buffer's
/// uniqueness and the exclusivity of its storage once per call, which for the chunk header and the
/// id (one call per digit) was a good part of a publish. This writes through one pointer instead;
/// every write checks its bounds, so a size computed too small stops the process rather than
/// writing past the memory.
struct ByteWriter {
    private let bytes: UnsafeMutableRawBufferPointer
    /// Where the next byte goes; after the last write, the number of bytes used.
    private(set) var position: Int

    init(_ bytes: UnsafeMutableRawBufferPointer, at position: Int = 0) {
        self.bytes = bytes
        self.position = position
    }

    @inline(__always)
    private mutating func advance(by count: Int) -> Int {
        precondition(count >= 0 && self.position + count <= self.bytes.count, "framing wrote past its buffer")
        defer { self.position += count }
        return self.position
    }

    mutating func put(_ byte: UInt8) {
        self.bytes[self.advance(by: 1)] = byte
    }

    mutating func put(_ text: StaticString) {
        self.put(UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    mutating func put(_ raw: UnsafeRawBufferPointer) {
        let start = self.advance(by: raw.count)
        UnsafeMutableRawBufferPointer(rebasing: self.bytes[start..<(start + raw.count)]).copyMemory(from: raw)
    }

    mutating func zeros(_ count: Int) {
        let start = self.advance(by: count)
        UnsafeMutableRawBufferPointer(rebasing: self.bytes[start..<(start + count)]).initializeMemory(as: UInt8.self, repeating: 0)
    }

    /// `value` in lowercase hex, in exactly `digits` digits.
    mutating func putHex(_ value: Int, digits: Int) {
        let start = self.advance(by: digits)
        var rest = value
        for position in stride(from: start + digits - 1, through: start, by: -1) {
            let nibble = UInt8(truncatingIfNeeded: rest & 0xF)
            self.bytes[position] = nibble < 10 ? 0x30 + nibble : 0x61 + nibble - 10
            rest >>= 4
        }
    }

    /// `value` in decimal, in exactly `digits` digits.
    mutating func putDecimal(_ value: UInt64, digits: Int) {
        let start = self.advance(by: digits)
        var rest = value
        for position in stride(from: start + digits - 1, through: start, by: -1) {
            self.bytes[position] = UInt8(truncatingIfNeeded: 0x30 + rest % 10)
            rest /= 10
        }
    }
}
