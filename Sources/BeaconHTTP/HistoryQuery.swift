/// The parameters of `GET /plugins/NAME/history`: `since` and `until` (Unix seconds, or RFC 3339
/// date-times such as `2026-12-04T10:00:00Z`), both included, and `limit` (default 100, at most
/// 10,000). Other parameters are ignored.
struct HistoryQuery: Equatable {
    static let defaultLimit = 100
    static let maxLimit = 10_000

    /// Unix milliseconds.
    var range: ClosedRange<Int64>
    var limit: Int

    /// The query, or what is wrong with it (for a 400).
    static func parse(_ query: RequestQuery) -> Result<HistoryQuery, Problem> {
        var since = Int64.min
        var until = Int64.max
        if let text = query.first("since") {
            guard let milliseconds = Self.milliseconds(text) else { return .failure(Problem(Self.badTime("since", text))) }
            since = milliseconds
        }
        if let text = query.first("until") {
            guard let milliseconds = Self.milliseconds(text) else { return .failure(Problem(Self.badTime("until", text))) }
            until = milliseconds
        }
        guard since <= until else { return .failure(Problem("since is later than until")) }
        var limit = Self.defaultLimit
        if let text = query.first("limit") {
            guard let number = Int(text), (1...Self.maxLimit).contains(number) else {
                return .failure(Problem("limit=\(text) is not a whole number from 1 to \(Self.maxLimit)"))
            }
            limit = number
        }
        return .success(HistoryQuery(range: since...until, limit: limit))
    }

    /// What is wrong with a query, as the 400 answer's `reason`.
    struct Problem: Error, Equatable {
        let reason: String
        init(_ reason: String) { self.reason = reason }
    }

    private static func badTime(_ name: String, _ text: String) -> String {
        "\(name)=\(text) is not a time; use Unix seconds (1764844800 or 1764844800.5) or RFC 3339 (2025-12-04T10:40:00Z)"
    }

    /// Unix seconds (a decimal number) or an RFC 3339 date-time, in Unix milliseconds.
    static func milliseconds(_ text: String) -> Int64? {
        if let seconds = Double(text), seconds.isFinite, text.utf8.allSatisfy({ $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") || ($0 >= 0x30 && $0 <= 0x39) }) {
            guard abs(seconds) < 1e14 else { return nil }
            return Int64((seconds * 1000).rounded(.down))
        }
        return RFC3339.milliseconds(text)
    }
}

/// RFC 3339 date-times: `YYYY-MM-DDTHH:MM:SS[.fraction](Z|±HH:MM)`.
enum RFC3339 {
    static func milliseconds(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        var index = 0
        func number(_ digits: Int) -> Int? {
            guard index + digits <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[index..<(index + digits)] {
                guard byte >= 0x30, byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            index += digits
            return value
        }
        func expect(_ options: String) -> Bool {
            guard index < bytes.count, options.utf8.contains(bytes[index]) else { return false }
            index += 1
            return true
        }
        guard let year = number(4), expect("-"), let month = number(2), expect("-"), let day = number(2),
            expect("Tt "), let hour = number(2), expect(":"), let minute = number(2), expect(":"), let second = number(2),
            (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second <= 60
        else { return nil }
        var millisecond = 0
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            var scale = 100
            let start = index
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                millisecond += Int(bytes[index] - 0x30) * scale
                scale /= 10
                index += 1
            }
            guard index > start else { return nil }
        }
        var offset = 0
        if expect("Zz") {
            offset = 0
        } else if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") {
            let sign = bytes[index] == UInt8(ascii: "-") ? -1 : 1
            index += 1
            guard let hours = number(2), expect(":"), let minutes = number(2), hours < 24, minutes < 60 else { return nil }
            offset = sign * (hours * 3600 + minutes * 60)
        } else {
            return nil
        }
        guard index == bytes.count else { return nil }
        let seconds = daysSinceEpoch(year: year, month: month, day: day) * 86_400 + hour * 3600 + minute * 60 + second - offset
        return Int64(seconds) * 1000 + Int64(millisecond)
    }

    /// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's days_from_civil).
    static func daysSinceEpoch(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }
}
