import Foundation
import Testing

/// `beacon check FILE.lua` and the command line around `serve`.
@Suite struct CommandLineTests {
    private func runBeacon(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let result = try BeaconCommand.run(arguments)
        return (result.status, result.output, result.errors)
    }

    @Test func checkPrintsTheEventAndExitsZero() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("disk.lua", #"schedule = "10s" function check_status() return { used = 3, pct = 0.5 }, "disk.usage" end"#)
        let result = try runBeacon(["check", folder.url.appendingPathComponent("disk.lua").path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == "event: disk.usage\ndata: {\"used\":3,\"pct\":0.5}\n" ||
                result.output == "event: disk.usage\ndata: {\"pct\":0.5,\"used\":3}\n", "\(result.output)")
    }

    @Test func checkShowsTheLevelTheRunSet() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("disk.lua", #"schedule = "10s" function check_status() beacon.status("critical", "93% used") return { pct = 93 } end"#)
        let result = try runBeacon(["check", folder.url.appendingPathComponent("disk.lua").path])
        #expect(result.status == 0, "\(result.errors)")
        #expect(result.output == "event: disk\ndata: {\"pct\":93}\nstatus: critical (93% used)\n", "\(result.output)")
        try folder.write("bad.lua", #"schedule = "10s" function check_status() error("no disk") end"#)
        let failing = try runBeacon(["check", folder.url.appendingPathComponent("bad.lua").path])
        #expect(failing.status == 1)
        #expect(failing.output == "status: unknown\n", "\(failing.output)")
    }

    @Test func checkFailsWithTheErrorOnABrokenPlugin() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("bad.lua", "schedule = \"10s\"\nfunction check_status()\n  return nil + 1\nend\n")
        try folder.write("nosched.lua", "function check_status() return 1 end")
        let failing = try runBeacon(["check", folder.url.appendingPathComponent("bad.lua").path])
        #expect(failing.status != 0)
        #expect(failing.errors.contains("bad.lua:3"), "\(failing.errors)")
        let missing = try runBeacon(["check", folder.url.appendingPathComponent("nosched.lua").path])
        #expect(missing.status != 0)
        #expect(missing.errors.contains("schedule"), "\(missing.errors)")
    }

    @Test func helpDocumentsTheOptions() throws {
        let help = try runBeacon(["serve", "--help"])
        for option in ["--plugins", "--host", "--port"] {
            #expect(help.output.contains(option), "serve --help lacks \(option)")
        }
    }

    @Test func aMissingPluginsFolderIsAClearError() throws {
        let result = try runBeacon(["serve", "--plugins", "/nonexistent/beacon-plugins", "--port", "0"])
        #expect(result.status != 0)
        #expect(result.errors.contains("/nonexistent/beacon-plugins"), "\(result.errors)")
    }
}
