import LuaKit

/// A plugin whose script loaded and whose declarations are valid, ready to run.
final class LoadedPlugin: @unchecked Sendable {
    // @unchecked: the sandbox is only touched by one run at a time (the runner's phase, under its
    // lock), by the runner's closing queue once no run uses it, or by the loading thread before
    // it is handed over.
    let name: String
    let contents: [UInt8]
    let interval: Double
    let timeout: Double
    /// Each run starts up to this many seconds late, at random (0 = on the tick).
    let jitter: Double
    let sandbox: LuaSandbox

    init(name: String, contents: [UInt8], interval: Double, timeout: Double, jitter: Double, sandbox: LuaSandbox) {
        self.name = name
        self.contents = contents
        self.interval = interval
        self.timeout = timeout
        self.jitter = jitter
        self.sandbox = sandbox
    }
}

/// Why a plugin did not load.
public struct PluginLoadError: Error, Sendable, CustomStringConvertible {
    /// The plugin's file name, e.g. `disk.lua`.
    public var file: String
    /// What is wrong, in words a plugin author can act on (with the line when Lua gives one).
    public var message: String
    /// `load` for errors in the script or its declarations, or `timeout`/`memory` at load.
    public var kind: CheckFailureKind
    public var description: String { message.hasPrefix(file) ? message : "\(file): \(message)" }
}

/// Turns a plugin file into a `LoadedPlugin`: runs the script in a fresh sandbox and checks
/// the contract (`schedule`, optional `timeout`, `check_status`).
struct PluginLoader: Sendable {
    var limits: LuaLimits
    var environment: @Sendable (_ pluginName: String) -> LuaEnvironment
    /// How long a script's top-level chunk may run.
    var loadTimeout: Double

    /// The default timeout: the smaller of 10 s and the interval.
    static func defaultTimeout(interval: Double) -> Double { min(10, interval) }

    func load(_ file: PluginFile) -> Result<LoadedPlugin, PluginLoadError> {
        let fileName = file.name + ".lua"
        func failure(_ message: String, kind: CheckFailureKind = .load) -> Result<LoadedPlugin, PluginLoadError> {
            .failure(PluginLoadError(file: fileName, message: message, kind: kind))
        }
        let sandbox: LuaSandbox
        do {
            sandbox = try LuaSandbox(limits: limits, environment: environment(file.name))
            try sandbox.run(source: file.contents, chunkName: fileName, deadline: .after(seconds: loadTimeout))
        } catch {
            switch error.kind {
            case .timeout:
                return failure("\(fileName): the script's top level ran longer than \(loadTimeout) s", kind: .timeout)
            case .memory:
                return failure("\(fileName): the script ran out of memory while loading: \(error.message)", kind: .memory)
            default:
                return failure(error.message)
            }
        }
        let interval: Double
        switch PluginDuration.seconds(from: sandbox.global("schedule")) {
        case .success(let seconds): interval = seconds
        case .failure(let problem):
            sandbox.close(deadline: .after(seconds: 1))
            return failure("\(fileName): \(problem.message(field: "schedule"))")
        }
        var timeout = Self.defaultTimeout(interval: interval)
        let declaredTimeout = sandbox.global("timeout")
        if declaredTimeout != .nil {
            switch PluginDuration.seconds(from: declaredTimeout) {
            case .success(let seconds): timeout = seconds
            case .failure(let problem):
                sandbox.close(deadline: .after(seconds: 1))
                return failure("\(fileName): \(problem.message(field: "timeout"))")
            }
        }
        var jitter = 0.0
        let declaredJitter = sandbox.global("jitter")
        if declaredJitter != .nil {
            switch PluginDuration.seconds(from: declaredJitter) {
            case .success(let seconds) where seconds < interval: jitter = seconds
            case .success:
                sandbox.close(deadline: .after(seconds: 1))
                return failure("\(fileName): jitter must be shorter than the schedule (\(formatSeconds(interval)))")
            case .failure(let problem):
                sandbox.close(deadline: .after(seconds: 1))
                return failure("\(fileName): \(problem.message(field: "jitter"))")
            }
        }
        let declaredMemory = sandbox.global("memory_limit")
        if declaredMemory != .nil {
            guard let bytes = PluginMemorySize.bytes(from: declaredMemory) else {
                sandbox.close(deadline: .after(seconds: 1))
                return failure("\(fileName): memory_limit = \(declaredMemory.shown) is not a size; use \(PluginMemorySize.acceptedForms)")
            }
            guard limits.memoryBytes == 0 || bytes <= limits.memoryBytes else {
                sandbox.close(deadline: .after(seconds: 1))
                return failure("\(fileName): memory_limit is \(bytes) bytes, over this server's maximum of "
                    + "\(limits.memoryBytes) bytes (--plugin-memory)")
            }
            sandbox.memoryLimit = bytes
        }
        guard sandbox.global("check_status") == .function else {
            sandbox.close(deadline: .after(seconds: 1))
            return failure("\(fileName): the script must define a global function check_status()")
        }
        return .success(LoadedPlugin(
            name: file.name, contents: file.contents, interval: interval, timeout: timeout, jitter: jitter, sandbox: sandbox))
    }
}
