import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Runs the built `beacon` with some arguments to completion, with a time limit.
struct BeaconCommand {
    var status: Int32
    var output: String
    var errors: String

    /// Runs `beacon ARGUMENTS` (or another of the built executables); kills it and throws when it
    /// has not exited within `seconds`.
    static func run(
        _ arguments: [String], executable: URL = BeaconProcess.executable, seconds: Double = 60
    ) throws -> BeaconCommand {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        // Read both pipes on their own threads so neither can fill up and stall the child.
        let output = PipeReader(out), errors = PipeReader(err)
        let exited = waitFor(seconds: seconds) { process.isRunning ? nil : true } ?? false
        if !exited {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let command = ([executable.lastPathComponent] + arguments).joined(separator: " ")
            throw TestFailure("\(command) did not exit within \(seconds) s; "
                              + "output:\n\(output.text)\(errors.text)")
        }
        process.waitUntilExit()
        return BeaconCommand(status: process.terminationStatus, output: output.finish(), errors: errors.finish())
    }
}

/// Collects everything written to a pipe, as it arrives.
final class PipeReader: @unchecked Sendable {
    // @unchecked: `data` is guarded by `lock`.
    private let lock = NSLock()
    private var data = Data()
    private let handle: FileHandle
    private let done = DispatchSemaphore(value: 0)

    init(_ pipe: Pipe) {
        handle = pipe.fileHandleForReading
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.withLock { data += chunk }
            }
            done.signal()
        }
    }

    /// What arrived so far.
    var text: String { lock.withLock { String(decoding: data, as: UTF8.self) } }

    /// Waits (at most 10 s) for the writer to close the pipe, then returns everything.
    func finish() -> String {
        _ = done.wait(timeout: .now() + 10)
        return text
    }

    /// Waits until the text so far satisfies `match`.
    func waitFor(seconds: Double, _ match: (String) -> Bool) -> Bool {
        EndToEndTests.waitFor(seconds: seconds) { match(self.text) ? true : nil } ?? false
    }
}

/// A temp folder for a config file, removed by the caller.
struct ConfigFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    /// Writes `text` as `name` (atomically) and returns its path.
    @discardableResult
    func write(_ text: String, as name: String = "beacon.toml") throws -> String {
        let file = url.appendingPathComponent(name)
        try text.write(to: file, atomically: true, encoding: .utf8)
        return file.path
    }

    func delete() { try? FileManager.default.removeItem(at: url) }
}
