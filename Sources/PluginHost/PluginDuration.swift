public import LuaKit

/// Durations as plugins declare them: a number of seconds (`0.25`) or a string of
/// number-unit parts in descending order (`"250ms"`, `"10s"`, `"5m"`, `"1h"`, `"1h30m"`).
public enum PluginDuration {
    /// The shortest interval or timeout a plugin may declare, in seconds.
    public static let minimum = 0.001
    /// The longest, in seconds (one week).
    public static let maximum = 7 * 24 * 3600.0

    /// What the error messages say is accepted.
    static let acceptedForms =
        #"a number of seconds (0.001 or more) or a string such as "250ms", "10s", "5m", "1h" or "1h30m""#

    /// Parses a Lua value into seconds, or explains why it is not a duration.
    /// The reason is a phrase such as `"10x" is not a duration`; callers add file and field.
    public static func seconds(from value: LuaValue) -> Result<Double, DurationError> {
        switch value {
        case .integer(let n):
            return checkRange(Double(n), shown: value.shown)
        case .number(let x):
            return checkRange(x, shown: value.shown)
        case .string(let text):
            guard let seconds = parse(text) else {
                return .failure(DurationError(shown: value.shown, problem: "is not a duration"))
            }
            return checkRange(seconds, shown: value.shown)
        case .nil:
            return .failure(DurationError(shown: "nil", problem: "is missing"))
        default:
            return .failure(DurationError(shown: value.shown, problem: "is not a duration"))
        }
    }

    /// Parses `"1h30m"`-style text; nil when it is not one.
    static func parse(_ text: String) -> Double? {
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("h", 3600), ("m", 60), ("s", 1)]
        var rest = Substring(text)
        var total = 0.0
        var lastUnitSize = Double.infinity
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let digits = rest.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
            guard !digits.isEmpty, let amount = Double(digits) else { return nil }
            rest = rest.dropFirst(digits.count)
            guard let unit = units.first(where: { rest.hasPrefix($0.suffix) }) else { return nil }
            // Parts must go from larger to smaller units, each unit at most once: "1h30m", not "30m1h".
            guard unit.seconds < lastUnitSize else { return nil }
            lastUnitSize = unit.seconds
            rest = rest.dropFirst(unit.suffix.count)
            total += amount * unit.seconds
        }
        return total
    }

    private static func checkRange(_ seconds: Double, shown: String) -> Result<Double, DurationError> {
        guard seconds.isFinite, seconds >= minimum else {
            return .failure(DurationError(shown: shown, problem: "is too short"))
        }
        guard seconds <= maximum else {
            return .failure(DurationError(shown: shown, problem: "is too long (at most one week)"))
        }
        return .success(seconds)
    }
}

/// Why a value is not an acceptable duration.
public struct DurationError: Error, Sendable, Equatable {
    /// The value as the plugin wrote it, e.g. `"10x"` or `-1`.
    public var shown: String
    /// What is wrong with it, e.g. `is not a duration`.
    public var problem: String

    /// A sentence naming the field, the value and what is accepted.
    public func message(field: String) -> String {
        "\(field) = \(shown) \(problem); use \(PluginDuration.acceptedForms)"
    }
}
