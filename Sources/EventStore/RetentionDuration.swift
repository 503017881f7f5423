/// Durations as `--retention` takes them: the forms plugins use for `schedule` (a number of
/// seconds, or number-unit parts from larger to smaller units: `"90m"`, `"1h30m"`), plus days:
/// `"7d"`, `"1d12h"`.
public enum RetentionDuration {
    /// The shortest retention, in seconds.
    public static let minimum = 1.0

    /// What the error messages say is accepted.
    public static let acceptedForms = #"a duration such as "7d", "36h", "90m" or "1d12h" (at least 1 s)"#

    /// Seconds, or nil when `text` is not a duration of at least ``minimum``.
    public static func seconds(_ text: String) -> Double? {
        if let plain = Double(text) { return plain.isFinite && plain >= minimum ? plain : nil }
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("d", 86_400), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text)
        var total = 0.0
        var lastUnit = Double.infinity
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let amount = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }), unit.seconds < lastUnit else { return nil }
            lastUnit = unit.seconds
            rest = rest.dropFirst(unit.suffix.count)
            total += amount * unit.seconds
        }
        return total.isFinite && total >= minimum ? total : nil
    }
}
