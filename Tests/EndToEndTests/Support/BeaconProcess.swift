import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The built `beacon` binary running as a child process on an ephemeral loopback port.
final class BeaconProcess: @unchecked Sendable {
    // @unchecked: the log buffer is guarded by `lock`; everything else is set once in init.
    let process = Process()
    let pluginsDirectory: URL
    private(set) var port = 0
    private let lock = NSLock()
    private var logText = ""

    /// The `beacon` executable next to the test bundle, or `BEACON_BIN`.
    static var executable: URL {
        if let path = ProcessInfo.processInfo.environment["BEACON_BIN"] { return URL(fileURLWithPath: path) }
        let bundle = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        return bundle.appendingPathComponent("beacon")
    }

    /// Starts `beacon serve` on `plugins` (a fresh temp folder the caller filled) and waits for
    /// `listening on http://127.0.0.1:PORT`.
    init(plugins: URL, extraArguments: [String] = []) throws {
        pluginsDirectory = plugins
        process.executableURL = Self.executable
        process.arguments = ["serve", "--plugins", plugins.path, "--host", "127.0.0.1", "--port", "0"]
            + extraArguments
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.logText += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
        let portPattern = try NSRegularExpression(pattern: #"listening on http://127\.0\.0\.1:(\d+)"#)
        let found = waitFor(seconds: 30) { () -> Int? in
            let text = self.log
            guard let match = portPattern.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)),
                  let range = Range(match.range(at: 1), in: text) else { return nil }
            return Int(text[range])
        }
        guard let found else {
            process.terminate()
            throw TestFailure("beacon did not start listening; log:\n\(log)")
        }
        port = found
    }

    /// Everything the server logged so far.
    var log: String { lock.withLock { logText } }

    /// Waits until the log contains `text`.
    func waitForLog(_ text: String, seconds: Double = 10) -> Bool {
        waitFor(seconds: seconds) { self.log.contains(text) ? true : nil } ?? false
    }

    func send(signal number: Int32) { kill(process.processIdentifier, number) }

    /// Stops the server (SIGTERM) and waits for it to exit; returns its exit status.
    @discardableResult
    func stop() -> Int32 {
        if process.isRunning {
            send(signal: SIGTERM)
            let deadline = Date().addingTimeInterval(15)
            while process.isRunning, Date() < deadline { usleep(10_000) }
            if process.isRunning { send(signal: SIGKILL) }
            process.waitUntilExit()
        }
        return process.terminationStatus
    }

    deinit { if process.isRunning { process.terminate() } }
}

/// A temp plugins folder, removed by the caller.
struct PluginFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ source: String) throws {
        // Write to a temp name and rename, as editors and deploy tools do, so a reload never sees half a file.
        let temp = url.appendingPathComponent(".\(name).tmp")
        try source.write(to: temp, atomically: false, encoding: .utf8)
        _ = rename(temp.path, url.appendingPathComponent(name).path)
    }

    func remove(_ name: String) throws {
        try FileManager.default.removeItem(at: url.appendingPathComponent(name))
    }

    func delete() { try? FileManager.default.removeItem(at: url) }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Polls `body` every 10 ms until it returns a value or `seconds` pass.
func waitFor<T>(seconds: Double, _ body: () -> T?) -> T? {
    let deadline = Date().addingTimeInterval(seconds)
    repeat {
        if let value = body() { return value }
        usleep(10_000)
    } while Date() < deadline
    return body()
}
