import Foundation
import LuaKit
import Testing

/// Collects log lines from a sandbox (callbacks may come from any thread).
final class LogRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var lines: [(LuaLogLevel, String)] = []

    var entries: [(LuaLogLevel, String)] {
        lock.withLock { lines }
    }

    var log: @Sendable (LuaLogLevel, String) -> Void {
        { [self] level, message in lock.withLock { lines.append((level, message)) } }
    }
}

/// A sandbox that has run `source` as "test.lua".
func sandbox(
    _ source: String,
    limits: LuaLimits = LuaLimits(),
    environment: LuaEnvironment = LuaEnvironment(),
    seconds: Double = 5
) throws -> LuaSandbox {
    let box = try LuaSandbox(limits: limits, environment: environment)
    try box.run(source: Array(source.utf8), chunkName: "test.lua", deadline: .after(seconds: seconds))
    return box
}

/// The JSON text `check_status` returns.
func json(
    _ source: String, limits: LuaLimits = LuaLimits(), environment: LuaEnvironment = LuaEnvironment()
) throws -> String {
    let box = try sandbox(source, limits: limits, environment: environment)
    let result = try box.call("check_status", deadline: .after(seconds: 5))
    return String(decoding: result.json, as: UTF8.self)
}

/// The JSON text of `check_status` returning `expression`.
func encoded(_ expression: String) throws -> String {
    try json("function check_status() return \(expression) end")
}

/// The error of calling `check_status` (nil if it succeeded).
func callError(
    _ source: String,
    limits: LuaLimits = LuaLimits(),
    environment: LuaEnvironment = LuaEnvironment(),
    seconds: Double = 5
) throws -> LuaError? {
    let box = try sandbox(source, limits: limits, environment: environment)
    do {
        _ = try box.call("check_status", deadline: .after(seconds: seconds))
        return nil
    } catch {
        return error
    }
}

/// The error of running `source` at top level (nil if it succeeded).
func runError(_ source: String, environment: LuaEnvironment = LuaEnvironment(), seconds: Double = 5) throws -> LuaError? {
    let box = try LuaSandbox(limits: LuaLimits(), environment: environment)
    do {
        try box.run(source: Array(source.utf8), chunkName: "test.lua", deadline: .after(seconds: seconds))
        return nil
    } catch {
        return error
    }
}
