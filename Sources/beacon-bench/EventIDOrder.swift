/// The order of SSE event ids, for spotting an id that does not go up.
///
/// Ids are compared as runs of digits and runs of other bytes, digits by their numeric value:
/// `1764023410000002` > `1764023410000001`, `1764023411:0` > `1764023410:7` (nchan's form),
/// `9` < `10`. Other runs compare byte by byte; when one id is a prefix of the other, the longer
/// one is greater.
enum EventIDOrder {
    /// Whether `new` comes strictly after `old`.
    static func isGreater(_ new: [UInt8], than old: [UInt8]) -> Bool {
        compare(new, old) > 0
    }

    /// -1, 0 or 1 as `a` is before, equal to or after `b`.
    static func compare(_ a: [UInt8], _ b: [UInt8]) -> Int {
        var i = 0, j = 0
        while i < a.count, j < b.count {
            let aDigit = isDigit(a[i]), bDigit = isDigit(b[j])
            if aDigit, bDigit {
                let aEnd = digitsEnd(a, from: i), bEnd = digitsEnd(b, from: j)
                let aStart = skipZeros(a, from: i, to: aEnd), bStart = skipZeros(b, from: j, to: bEnd)
                let aLength = aEnd - aStart, bLength = bEnd - bStart
                if aLength != bLength { return aLength < bLength ? -1 : 1 }
                for offset in 0..<aLength where a[aStart + offset] != b[bStart + offset] {
                    return a[aStart + offset] < b[bStart + offset] ? -1 : 1
                }
                i = aEnd
                j = bEnd
            } else {
                if a[i] != b[j] { return a[i] < b[j] ? -1 : 1 }
                i += 1
                j += 1
            }
        }
        if i < a.count { return 1 }
        if j < b.count { return -1 }
        return 0
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") }

    private static func digitsEnd(_ bytes: [UInt8], from start: Int) -> Int {
        var end = start
        while end < bytes.count, isDigit(bytes[end]) { end += 1 }
        return end
    }

    private static func skipZeros(_ bytes: [UInt8], from start: Int, to end: Int) -> Int {
        var index = start
        while index < end - 1, bytes[index] == UInt8(ascii: "0") { index += 1 }
        return index
    }
}
