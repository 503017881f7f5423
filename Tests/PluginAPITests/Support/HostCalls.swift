import Dispatch
import LuaKit
import NIOCore
import NIOPosix
import PluginAPI
import Testing

/// Calls the host functions directly, as LuaKit would. Waiting for an answer is `async`: it
/// blocks a thread of its own, never one of Swift's cooperative threads, which the tests running
/// in parallel need.
enum Host {
    static let functions = PluginAPI.hostFunctions()

    /// How long after the run's deadline a host function may still answer (it answers "by the
    /// run's deadline or soon after"; at the deadline itself its own timer and the caller race).
    static let answerGrace = 2.0

    /// Calls `beacon.<name>(arguments...)` with the run ending at `deadline`, and waits for the
    /// answer until shortly after it. `seconds` runs from the call to the answer's arrival (not
    /// to when this task resumes, which parallel tests may delay).
    static func call(
        _ name: String, _ arguments: [LuaValue], deadline: LuaDeadline = .after(seconds: 30),
        functions: [String: LuaHostFunction] = Host.functions
    ) async -> (result: LuaHostResult, seconds: Double) {
        let start = LuaDeadline.now()
        guard let function = functions[name] else { return (.error("no host function \(name)"), 0) }
        let result = function(LuaHostCall(deadline: deadline, arguments: arguments))
        guard case .pending(let pending) = result else { return (result, seconds(from: start, to: .now())) }
        let (end, overflow) = deadline.nanoseconds.addingReportingOverflow(UInt64(answerGrace * 1e9))
        let (answer, at) = await wait(for: pending, until: overflow ? .never : LuaDeadline(nanoseconds: end))
        return (answer ?? .error("beacon.\(name): no answer by the deadline"), seconds(from: start, to: at))
    }

    /// `pending.wait(until:)` on a thread of its own: the answer, or nil (and the call cancelled)
    /// once `deadline` passes, and when that was.
    static func wait(for pending: LuaPendingCall, until deadline: LuaDeadline) async -> (LuaHostResult?, LuaDeadline) {
        await withCheckedContinuation { continuation in
            DispatchQueue(label: "beacon-test-wait").async {
                let answer = pending.wait(until: deadline)
                continuation.resume(returning: (answer, LuaDeadline.now()))
            }
        }
    }

    private static func seconds(from start: LuaDeadline, to end: LuaDeadline) -> Double {
        Double(end.nanoseconds &- start.nanoseconds) / 1e9
    }

    /// Starts `beacon.<name>(arguments...)` and returns its pending call; records an issue (and
    /// returns nil) when the function answered at once instead.
    static func start(
        _ name: String, _ arguments: [LuaValue], deadline: LuaDeadline = .after(seconds: 30),
        functions: [String: LuaHostFunction] = Host.functions, sourceLocation: SourceLocation = #_sourceLocation
    ) -> LuaPendingCall? {
        guard let function = functions[name] else { return nil }
        let result = function(LuaHostCall(deadline: deadline, arguments: arguments))
        guard case .pending(let pending) = result else {
            Issue.record("beacon.\(name) answered at once: \(result)", sourceLocation: sourceLocation)
            return nil
        }
        return pending
    }

    /// The values a pending call answers with within `seconds` (nil: no answer, or a raised error).
    static func answer(_ pending: LuaPendingCall, within seconds: Double = 30) async -> [LuaValue]? {
        if case .values(let values)? = await wait(for: pending, until: .after(seconds: seconds)).0 { return values }
        return nil
    }

    /// The answers of `calls` that answered with values within `seconds`, in order.
    static func answers(_ calls: [LuaPendingCall], within seconds: Double = 30) async -> [[LuaValue]] {
        let end = LuaDeadline.after(seconds: seconds)
        var answers: [[LuaValue]] = []
        for call in calls {
            if let values = await answer(call, within: max(0, end.secondsRemaining)) { answers.append(values) }
        }
        return answers
    }

    /// The values of a successful call (an `.error` result fails the test and gives []).
    static func values(
        _ name: String, _ arguments: [LuaValue], deadline: LuaDeadline = .after(seconds: 30),
        functions: [String: LuaHostFunction] = Host.functions, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> [LuaValue] {
        await timedValues(name, arguments, deadline: deadline, functions: functions, sourceLocation: sourceLocation).values
    }

    /// `values`, and the seconds from the call to its answer.
    static func timedValues(
        _ name: String, _ arguments: [LuaValue], deadline: LuaDeadline = .after(seconds: 30),
        functions: [String: LuaHostFunction] = Host.functions, sourceLocation: SourceLocation = #_sourceLocation
    ) async -> (values: [LuaValue], seconds: Double) {
        let (result, seconds) = await call(name, arguments, deadline: deadline, functions: functions)
        switch result {
        case .values(let values): return (values, seconds)
        case .error(let message):
            Issue.record("beacon.\(name) raised: \(message)", sourceLocation: sourceLocation)
        case .pending:
            Issue.record("beacon.\(name) gave no answer", sourceLocation: sourceLocation)
        }
        return ([], seconds)
    }

    /// The message of a `nil, "message"` result, or nil when the call did not fail that way.
    static func failureMessage(_ values: [LuaValue]) -> String? {
        guard values.count == 2, values[0] == .nil, case .string(let message) = values[1] else { return nil }
        return message
    }

    /// The message of a raised Lua error, or nil.
    static func raisedMessage(_ name: String, _ arguments: [LuaValue]) async -> String? {
        if case .error(let message) = await call(name, arguments).result { return message }
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

    /// The bytes of a Lua string, whichever case holds them.
    var bytes: [UInt8]? {
        switch self {
        case .string(let text): return Array(text.utf8)
        case .bytes(let bytes): return bytes
        default: return nil
        }
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
