/// Why a config file cannot be used: every problem, each naming the file.
struct ConfigFileError: Error, Sendable, CustomStringConvertible {
    var path: String
    var problems: [String]

    var description: String { problems.map { "\(path): \($0)" }.joined(separator: "\n") }
}
