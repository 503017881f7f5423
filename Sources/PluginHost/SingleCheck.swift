import Dispatch
import Foundation
import LuaKit
import Synchronization

/// `beacon check FILE.lua`: loads one plugin and runs `check_status()` once under the same rules
/// as the server, for plugin authors.
public enum SingleCheck {
    /// What one run produced: the event name, the encoded `data:`, and the level it set.
    public struct Output: Sendable {
        public var event: String
        public var json: [UInt8]
        /// `status: critical (93% used)`, or nil when the run set no level.
        public var statusLine: String?
    }

    /// Loads `path` and runs its check once. The error is a message to print as it is.
    public static func run(
        path: String, configuration: PluginHostConfiguration, log: @escaping @Sendable (String) -> Void
    ) -> Result<Output, SingleCheckError> {
        let fileName = (path as NSString).lastPathComponent
        guard fileName.hasSuffix(".lua"), PluginName.isValid(String(fileName.dropLast(4))) else {
            return .failure(SingleCheckError(message:
                "\(fileName): a plugin file is named NAME.lua, NAME made of letters, digits, '_' and '-'"))
        }
        guard PluginFolder.isRegularFile(path), let data = FileManager.default.contents(atPath: path) else {
            return .failure(SingleCheckError(message: "\(path): no such readable file"))
        }
        let name = String(fileName.dropLast(4))
        let library = ((path as NSString).deletingLastPathComponent as NSString)
            .appendingPathComponent(PluginFolder.libraryFolderName)
        let loader = PluginLoader(
            limits: LuaLimits(memoryBytes: configuration.pluginMemoryBytes, maxResultBytes: configuration.maxEventBytes),
            environment: { _ in
                LuaEnvironment(log: { level, message in log("\(level.rawValue): [\(name)] \(message)") },
                               libraryDirectory: library, hostFunctions: configuration.hostFunctions)
            },
            loadTimeout: configuration.loadTimeout)
        switch loader.load(PluginFile(name: name, path: path, contents: [UInt8](data))) {
        case .failure(let error):
            return .failure(SingleCheckError(message: error.description))
        case .success(let plugin):
            defer { plugin.sandbox.close(deadline: .after(seconds: 1)) }
            switch run(plugin) {
            case .success(let result):
                let line = result.status.map { report in
                    "status: \(report.level.rawValue)" + (report.summary.map { " (\($0))" } ?? "")
                }
                return .success(Output(event: result.event, json: result.json, statusLine: line))
            case .failure(let failure):
                return .failure(SingleCheckError(message: "\(fileName): \(failure.kind.rawValue): \(failure.message)"))
            }
        }
    }
}

extension SingleCheck {
    /// Runs the check once on a serial queue of its own, as the server runs it (host calls that
    /// wait suspend the run, spawned functions run side by side), and waits for the outcome.
    static func run(_ plugin: LoadedPlugin) -> CheckOutcome {
        let queue = DispatchQueue(label: "beacon.check.\(plugin.name)")
        let outcome = Mutex<CheckOutcome?>(nil)
        let done = DispatchSemaphore(value: 0)
        queue.async {
            let run = CheckRun(plugin: plugin, submit: { queue.async(execute: $0) }) { result in
                outcome.withLock { $0 = result }
                done.signal()
            }
            run.start()
        }
        done.wait()
        return outcome.withLock { $0 } ?? .failure(CheckFailure(kind: .error, message: "the check gave no result"))
    }
}

/// Why `beacon check` failed.
public struct SingleCheckError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
