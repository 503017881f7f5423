import Foundation
import TOMLKit

/// A config file such as `beacon.toml`: each `beacon serve` flag as a top-level key without its
/// `--` (`port = 8080`, `cors-origin = ["*"]`). A relative `plugins` folder (and a relative
/// `sqlite:` store path) is taken relative to the file's own folder, so the file means the same
/// thing from any working directory.
enum ConfigFile {
    /// Reads and checks the file. Throws every problem found, not only the first.
    static func load(path: String) throws(ConfigFileError) -> SettingValues {
        let reading = read(path: path)
        guard reading.problems.isEmpty else { throw ConfigFileError(path: path, problems: reading.problems) }
        return reading.values
    }

    /// What a read found: the good values, and every problem. `--check-config` goes on with the
    /// good values to check the plugins too; everything else stops at the first problem.
    struct Reading: Sendable {
        var values: SettingValues = [:]
        var problems: [String] = []
        /// Keys whose values could not be used because of a problem (all of them when the file
        /// could not be read or parsed).
        var unusable: Set<SettingKey> = []
    }

    static func read(path: String) -> Reading {
        guard let data = FileManager.default.contents(atPath: path) else {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read" : "does not exist"
            return Reading(problems: ["the config file \(reason)"], unusable: Set(SettingKey.allCases))
        }
        guard let text = String(data: data, encoding: .utf8) else {
            return Reading(problems: ["the config file is not UTF-8 text"], unusable: Set(SettingKey.allCases))
        }
        return read(text: text, path: path)
    }

    /// Checks the text of a config file; `path` names it in messages and anchors a relative `plugins`.
    static func read(text: String, path: String) -> Reading {
        let table: TOMLTable
        do {
            table = try TOMLTable(string: text)
        } catch let error as TOMLParseError {
            let at = error.source.begin
            return Reading(problems: ["line \(at.line), column \(at.column): \(error.description)"],
                           unusable: Set(SettingKey.allCases))
        } catch {
            return Reading(problems: ["not valid TOML: \(error)"], unusable: Set(SettingKey.allCases))
        }
        var reading = Reading()
        for name in table.keys {
            guard let key = SettingKey(rawValue: name) else {
                reading.problems.append(unknownKeyProblem(name))
                continue
            }
            guard let node = table[name], let value = value(of: node, as: key.kind) else {
                let found = table[name].map { describe($0.type) } ?? "nothing"
                reading.problems.append("key \"\(name)\": expected \(key.kind.expected), found \(found)")
                reading.unusable.insert(key)
                continue
            }
            if let problem = key.problem(with: value) {
                reading.problems.append("key \"\(name)\" = \(value): \(problem)")
                reading.unusable.insert(key)
                continue
            }
            reading.values[key] = value
        }
        let base = (path as NSString).deletingLastPathComponent
        if case .string(let folder)? = reading.values[.plugins], !folder.hasPrefix("/"), !base.isEmpty {
            reading.values[.plugins] = .string((base as NSString).appendingPathComponent(folder))
        }
        if case .string(let store)? = reading.values[.store], store.hasPrefix("sqlite:"), !store.hasPrefix("sqlite:/"), !base.isEmpty {
            reading.values[.store] = .string("sqlite:" + (base as NSString).appendingPathComponent(String(store.dropFirst(7))))
        }
        return reading
    }

    /// The value of `node` when it has the shape `kind` asks for. A number may be written as an integer.
    private static func value(of node: any TOMLValueConvertible, as kind: SettingKey.Kind) -> SettingValue? {
        switch kind {
        case .string, .word: node.string.map(SettingValue.string)
        case .integer: node.int.map(SettingValue.integer)
        case .number: (node.double ?? node.int.map(Double.init)).map(SettingValue.number)
        case .strings: strings(of: node).map(SettingValue.strings)
        }
    }

    private static func strings(of node: any TOMLValueConvertible) -> [String]? {
        guard let array = node.array else { return nil }
        var strings: [String] = []
        for item in array {
            guard let string = item.string else { return nil }
            strings.append(string)
        }
        return strings
    }

    private static func describe(_ type: TOMLType) -> String {
        switch type {
        case .table: "a table"
        case .array: "an array (of something other than strings)"
        case .string: "a string"
        case .int: "an integer"
        case .double: "a floating-point number"
        case .bool: "a boolean"
        case .date, .time, .dateTime: "a date or time"
        }
    }

    private static func unknownKeyProblem(_ name: String) -> String {
        let known = SettingKey.allCases.map(\.rawValue)
        let normalized = name.lowercased().replacingOccurrences(of: "_", with: "-").replacingOccurrences(of: "--", with: "")
        if let match = known.first(where: { $0 == normalized }) {
            return "unknown key \"\(name)\" (did you mean \"\(match)\"?)"
        }
        return "unknown key \"\(name)\"; the keys are the flags of `beacon serve`: " + known.joined(separator: ", ")
    }
}
