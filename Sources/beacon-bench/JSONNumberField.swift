#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads one top-level number field out of a JSON object without decoding the rest:
/// `{"t":1764023410.123456,...}` → 1764023410.123456 for the key `t`.
///
/// Keys inside nested objects and text inside strings never match. Anything that is not an
/// object, or a field that is missing or not a number, gives nil.
struct JSONNumberField: Sendable {
    /// The key, as bytes.
    let key: [UInt8]

    init(_ key: String) { self.key = Array(key.utf8) }

    /// The field's value in `json`, or nil.
    func value(in json: [UInt8]) -> Double? {
        json.withUnsafeBytes { value(in: $0) }
    }

    /// The field's value in `json`, or nil.
    func value(in json: UnsafeRawBufferPointer) -> Double? {
        var index = 0, depth = 0
        let count = json.count
        while index < count {
            let byte = json[index]
            switch byte {
            case UInt8(ascii: "\""):
                let start = index + 1
                index = Self.endOfString(json, from: start)
                guard index < count else { return nil }
                let end = index
                index += 1
                guard depth == 1 else { continue }
                var after = Self.skipSpace(json, from: index)
                guard after < count, json[after] == UInt8(ascii: ":") else { continue }
                guard UnsafeRawBufferPointer(rebasing: json[start..<end]).elementsEqual(key) else { continue }
                after = Self.skipSpace(json, from: after + 1)
                return Self.number(json, from: after)
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                index += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
                if depth <= 0 { return nil }
                index += 1
            default:
                if depth == 0, byte != UInt8(ascii: " "), byte != UInt8(ascii: "\t"),
                   byte != UInt8(ascii: "\n"), byte != UInt8(ascii: "\r") {
                    return nil  // not an object
                }
                index += 1
            }
        }
        return nil
    }

    /// The index of the closing quote of a string whose text starts at `start` (or `count`).
    private static func endOfString(_ json: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < json.count {
            switch json[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index
            default: index += 1
            }
        }
        return json.count
    }

    private static func skipSpace(_ json: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < json.count, json[index] == 0x20 || json[index] == 0x09 || json[index] == 0x0A || json[index] == 0x0D {
            index += 1
        }
        return index
    }

    /// A JSON number starting at `start`, parsed by `strtod`.
    private static func number(_ json: UnsafeRawBufferPointer, from start: Int) -> Double? {
        var end = start
        while end < json.count, end - start < 40 {
            let byte = json[end]
            let isNumberByte = (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "-")
                || byte == UInt8(ascii: "+") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "e")
                || byte == UInt8(ascii: "E")
            guard isNumberByte else { break }
            end += 1
        }
        let length = end - start
        guard length > 0 else { return nil }
        return withUnsafeTemporaryAllocation(of: CChar.self, capacity: length + 1) { text -> Double? in
            for offset in 0..<length { text[offset] = CChar(bitPattern: json[start + offset]) }
            text[length] = 0
            guard let base = text.baseAddress else { return nil }
            var stop: UnsafeMutablePointer<CChar>?
            let value = strtod(base, &stop)
            guard let stop, stop == base + length, value.isFinite else { return nil }
            return value
        }
    }
}
