import LuaKit

/// The arguments of `beacon.exec(argv [, {timeout=, stdin=, env=}])`, checked.
struct ExecSpec {
    static let function = "beacon.exec"
    static let options: Set<String> = ["timeout", "stdin", "env"]

    /// The program and its arguments; argv[0] is looked up in PATH when it has no slash.
    var argv: [String]
    /// Seconds before the process group is killed (nil: the run's remaining budget).
    var timeout: Double?
    /// Bytes written to the program's stdin (nil: stdin is /dev/null).
    var stdin: [UInt8]?
    /// Variables set on top of the inherited environment.
    var environment: [(key: String, value: String)] = []

    init(arguments: [LuaValue]) throws(HostArgumentError) {
        guard case .table(let items, let fields) = arguments.argument(0), !items.isEmpty, fields.isEmpty else {
            throw HostArgumentError(Self.function, "argv must be an array of strings")
        }
        argv = []
        for item in items {
            guard let text = item.stringValue else {
                throw HostArgumentError(Self.function, "argv must be an array of strings")
            }
            guard !text.utf8.contains(0) else {
                throw HostArgumentError(Self.function, "argv must not contain NUL bytes")
            }
            argv.append(text)
        }
        guard argv[0] != "" else { throw HostArgumentError(Self.function, "argv[1] must name a program") }

        let options = arguments.argument(1)
        if options.isNil { return }
        guard case .table(let optionItems, let optionFields) = options, optionItems.isEmpty else {
            throw HostArgumentError(Self.function, "options must be a table {timeout=, stdin=, env=}")
        }
        for field in optionFields where !Self.options.contains(field.key) {
            throw HostArgumentError(Self.function, "unknown option '\(field.key)'")
        }
        timeout = try CallBudget.timeoutArgument(options[field: "timeout"], function: Self.function)
        let input = options[field: "stdin"]
        if !input.isNil {
            guard let bytes = input.payloadBytes else { throw HostArgumentError(Self.function, "stdin must be a string") }
            stdin = bytes
        }
        environment = try Self.environment(options[field: "env"])
    }

    private static func environment(_ value: LuaValue) throws(HostArgumentError) -> [(key: String, value: String)] {
        if value.isNil { return [] }
        guard case .table(let items, let fields) = value, items.isEmpty else {
            throw HostArgumentError(function, "env must be a table of strings {NAME=\"value\"}")
        }
        var result: [(key: String, value: String)] = []
        for field in fields {
            guard let text = field.value.stringValue else {
                throw HostArgumentError(function, "env must be a table of strings {NAME=\"value\"}")
            }
            guard !field.key.isEmpty, !field.key.contains("="), !field.key.utf8.contains(0), !text.utf8.contains(0)
            else {
                throw HostArgumentError(function, "env name '\(field.key)' is not a valid variable name")
            }
            result.append((field.key, text))
        }
        return result
    }
}
