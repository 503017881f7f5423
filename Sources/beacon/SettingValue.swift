import Foundation

/// The value of one setting, from the command line, the config file or the defaults.
enum SettingValue: Equatable, Sendable, CustomStringConvertible {
    case string(String)
    case integer(Int)
    case number(Double)
    case strings([String])

    /// As it would be written in the config file, for messages.
    var description: String {
        switch self {
        case .string(let text): quoted(text)
        case .integer(let number): String(number)
        case .number(let number): number == number.rounded() && abs(number) < 1e15 ? String(Int(number)) : String(number)
        case .strings(let texts): "[" + texts.map(quoted).joined(separator: ", ") + "]"
        }
    }

    private func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "\"", with: "\\\"") + "\""
    }
}

/// The settings one source sets, by key; a key it does not set is absent.
typealias SettingValues = [SettingKey: SettingValue]
