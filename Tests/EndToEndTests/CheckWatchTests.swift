import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `beacon check FILE.lua --watch`.
@Suite struct CheckWatchTests {
    @Test func printsANewResultAfterEverySaveAndStopsOnCtrlC() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("probe.lua", #"schedule = "1h" function check_status() return { version = 1 } end"#)

        let process = Process()
        process.executableURL = BeaconProcess.executable
        process.arguments = ["check", folder.url.appendingPathComponent("probe.lua").path, "--watch"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let output = PipeReader(pipe)
        defer { if process.isRunning { kill(process.processIdentifier, SIGKILL) } }

        #expect(output.waitFor(seconds: 20) { $0.contains(#"data: {"version":1}"#) }, "first run:\n\(output.text)")

        // An editor that saves by rename (new inode).
        try folder.write("probe.lua", #"schedule = "1h" function check_status() return { version = 2 } end"#)
        #expect(output.waitFor(seconds: 10) { $0.contains(#"data: {"version":2}"#) }, "after a save:\n\(output.text)")

        // An editor that saves in place, with a mistake, then fixes it.
        let path = folder.url.appendingPathComponent("probe.lua").path
        try "schedule = \"1h\"\nfunction check_status()\n  return nil + 1\nend\n"
            .write(toFile: path, atomically: false, encoding: .utf8)
        #expect(output.waitFor(seconds: 10) { $0.contains("probe.lua:3") }, "after a bad save:\n\(output.text)")
        try #"schedule = "1h" function check_status() return { version = 3 } end"#
            .write(toFile: path, atomically: false, encoding: .utf8)
        #expect(output.waitFor(seconds: 10) { $0.contains(#"data: {"version":3}"#) }, "after a fix:\n\(output.text)")
        #expect(output.text.components(separatedBy: "changed").count - 1 >= 3, "one header per save:\n\(output.text)")

        kill(process.processIdentifier, SIGINT)
        let exited = waitFor(seconds: 10) { process.isRunning ? nil : true } ?? false
        #expect(exited, "Ctrl-C stops the watch")
        if exited {
            #expect(process.terminationReason == .exit && process.terminationStatus == 0, "\(output.text)")
        }
    }
}
