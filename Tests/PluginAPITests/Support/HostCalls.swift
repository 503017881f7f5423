import LuaKit
import NIOCore
import NIOPosix
import PluginAPI
import Testing

/// Calls the host functions directly, as LuaKit would.
enum Host {
    static let functions = PluginAPI.hostFunctions()

    /// Calls `beacon.<name>(arguments...)` with the run ending at `deadline`.
    static func call(_ name: String, _ arguments: [LuaValue], deadline: LuaDeadline = .after(seconds: 30))
        -> LuaHostResult
    {
        guard let function = functions[name] else { return .error("no host function \(name)") }
        let result = function(LuaHostCall(deadline: deadline, arguments: arguments))
        guard case .pending(let pending) = result else { return result }
        return pending.wait(until: deadline) ?? .error("beacon.\(name): no answer before the deadline")
    }

    /// The values of a successful call (an `.error` result fails the test and gives []).
    static func values(
        _ name: String, _ arguments: [LuaValue], deadline: LuaDeadline = .after(seconds: 30),
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> [LuaValue] {
        switch call(name, arguments, deadline: deadline) {
        case .values(let values): return values
        case .error(let message):
            Issue.record("beacon.\(name) raised: \(message)", sourceLocation: sourceLocation)
            return []
        case .pending:
            Issue.record("beacon.\(name) gave no answer", sourceLocation: sourceLocation)
            return []
        }
    }

    /// The message of a `nil, "message"` result, or nil when the call did not fail that way.
    static func failureMessage(_ values: [LuaValue]) -> String? {
        guard values.count == 2, values[0] == .nil, case .string(let message) = values[1] else { return nil }
        return message
    }

    /// The message of a raised Lua error, or nil.
    static func raisedMessage(_ name: String, _ arguments: [LuaValue]) -> String? {
        if case .error(let message) = call(name, arguments) { return message }
        return nil
    }
}

/// Table building and reading for test readability.
extension LuaValue {
    static func table(_ pairs: KeyValuePairs<String, LuaValue>) -> LuaValue {
        .table(array: [], fields: pairs.map { LuaField(key: $0.key, value: $0.value) })
    }

    static func array(_ items: [String]) -> LuaValue {
        .table(array: items.map { .string($0) }, fields: [])
    }

    subscript(_ key: String) -> LuaValue {
        guard case .table(_, let fields) = self else { return .nil }
        return fields.first { $0.key == key }?.value ?? .nil
    }

    var string: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    var double: Double? {
        switch self {
        case .number(let value): return value
        case .integer(let value): return Double(value)
        default: return nil
        }
    }
}

/// A TCP port on `host` that nothing listens on: bound by the OS, then closed.
func closedPort(host: String = "127.0.0.1") throws -> Int {
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
    defer { try? group.syncShutdownGracefully() }
    let channel = try ServerBootstrap(group: group).bind(host: host, port: 0).wait()
    let port = channel.localAddress?.port ?? 0
    try channel.close().wait()
    return port
}
