/// Reads a fuzz input as a stream of choices; past the end every read is zero, so any input,
/// even an empty one, decodes to something.
struct FuzzBytes {
    private let bytes: [UInt8]
    private var index = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    var isAtEnd: Bool { self.index >= self.bytes.count }

    mutating func byte() -> UInt8 {
        guard self.index < self.bytes.count else { return 0 }
        defer { self.index += 1 }
        return self.bytes[self.index]
    }

    /// A choice among `count` options (`count` > 0).
    mutating func choice(_ count: Int) -> Int {
        Int(self.byte()) % count
    }

    /// Up to `count` raw bytes (fewer at the end of the input).
    mutating func bytes(_ count: Int) -> [UInt8] {
        let end = min(self.bytes.count, self.index + max(0, count))
        defer { self.index = max(self.index, end) }
        return self.index < end ? Array(self.bytes[self.index..<end]) : []
    }

    /// A 64-bit word from eight bytes, little-endian.
    mutating func word() -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: 0, to: 64, by: 8) { value |= UInt64(self.byte()) << UInt64(shift) }
        return value
    }

    /// A 16-bit number from two bytes, little-endian.
    mutating func short() -> Int {
        Int(self.byte()) | Int(self.byte()) << 8
    }
}
