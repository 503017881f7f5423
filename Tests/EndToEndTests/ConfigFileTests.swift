import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `--config FILE`, `--check-config`, and re-reading the file on SIGHUP.
@Suite struct ConfigFileTests {
    private let tick = #"schedule = "1h" function check_status() return { ok = true } end"#

    /// The `retry:` a new subscriber of `/events/NAME` is told.
    private func retry(port: Int, stream: String) throws -> Int? {
        let connection = try TestConnection(port: port)
        try connection.get("/events/\(stream)")
        let head = try connection.readHead()
        guard head.status == 200 else { throw TestFailure("GET /events/\(stream): \(head.status)") }
        _ = connection.nextEvent(seconds: 5)
        return connection.retry
    }

    @Test func valuesFromTheFileTakeEffectAndFlagsOverrideThem() throws {
        let plugins = try PluginFolder(), config = try ConfigFolder()
        defer { plugins.delete(); config.delete() }
        try plugins.write("tick.lua", tick)
        let file = try config.write("""
            # Beacon settings for the test
            retry-ms = 1234
            port = 1          # the command line's --port 0 wins
            log-format = "json"
            cors-origin = ["https://a.example"]
            heartbeat = 20    # an integer is fine for a number of seconds
            """)
        let fromFile = try BeaconProcess(plugins: plugins.url, extraArguments: ["--config", file])
        defer { fromFile.stop() }
        #expect(try retry(port: fromFile.port, stream: "tick") == 1234)
        let cors = try httpGet(port: fromFile.port, "/healthz", headers: ["Origin: https://a.example"])
        #expect(cors.headers["access-control-allow-origin"] == "https://a.example", "\(cors.headers)")
        #expect(fromFile.log.split(separator: "\n").allSatisfy { $0.hasPrefix("{") }, "log-format from the file")
        fromFile.stop()

        let overridden = try BeaconProcess(
            plugins: plugins.url, extraArguments: ["--config", file, "--retry-ms", "2500", "--log-format", "text"])
        defer { overridden.stop() }
        #expect(try retry(port: overridden.port, stream: "tick") == 2500)
        #expect(!overridden.log.hasPrefix("{"), "--log-format text wins over the file")
    }

    @Test func aBadConfigExitsNonZeroNamingFileKeyAndType() throws {
        let config = try ConfigFolder()
        defer { config.delete() }
        let file = try config.write("""
            port = "8080"
            cors_origin = ["*"]
            history = 0
            log-level = "loud"
            """)
        let result = try BeaconCommand.run(["serve", "--config", file, "--plugins", "/nonexistent/beacon-plugins"])
        #expect(result.status != 0)
        let errors = result.errors
        #expect(errors.contains("\(file): key \"port\": expected an integer, found a string"), "\(errors)")
        #expect(errors.contains("\(file): unknown key \"cors_origin\" (did you mean \"cors-origin\"?)"), "\(errors)")
        #expect(errors.contains("\(file): key \"history\" = 0: must be at least 1"), "\(errors)")
        #expect(errors.contains("key \"log-level\" = \"loud\": must be one of"), "\(errors)")
        #expect(!errors.contains("nonexistent"), "stops at the config file, before the plugins folder")

        let syntax = try config.write("port = 80\nhost = \n", as: "broken.toml")
        let parse = try BeaconCommand.run(["serve", "--config", syntax])
        #expect(parse.status != 0)
        #expect(parse.errors.contains("\(syntax): line 2"), "\(parse.errors)")

        let missing = try BeaconCommand.run(["serve", "--config", config.url.appendingPathComponent("none.toml").path])
        #expect(missing.status != 0)
        #expect(missing.errors.contains("none.toml: the config file does not exist"), "\(missing.errors)")
    }

    @Test func checkConfigListsEveryBrokenPlugin() throws {
        let config = try ConfigFolder()
        defer { config.delete() }
        let plugins = config.url.appendingPathComponent("checks")
        try FileManager.default.createDirectory(at: plugins, withIntermediateDirectories: true)
        func plugin(_ name: String, _ source: String) throws {
            try source.write(to: plugins.appendingPathComponent(name), atomically: true, encoding: .utf8)
        }
        try plugin("good.lua", tick)
        try plugin("syntax.lua", "schedule = \"1s\"\nfunction check_status(\n")
        try plugin("nosched.lua", "function check_status() return 1 end")
        try plugin("nocheck.lua", "schedule = \"5s\"")
        try plugin("badsched.lua", "schedule = \"10x\" function check_status() return 1 end")
        // A relative `plugins` is taken from the config file's folder, not the working directory.
        let file = try config.write("plugins = \"checks\"\nheartbeat = -1\n")

        let result = try BeaconCommand.run(["serve", "--config", file, "--check-config"])
        #expect(result.status == 1, "\(result.output)\(result.errors)")
        for broken in ["syntax.lua:", "nosched.lua", "nocheck.lua", "badsched.lua"] {
            #expect(result.errors.contains("error: \(broken)"), "\(broken) missing from:\n\(result.errors)")
        }
        #expect(result.errors.contains("key \"heartbeat\" = -1: must be more than 0 seconds"), "\(result.errors)")
        #expect(!result.errors.contains("good.lua"))
        #expect(result.errors.hasSuffix("5 problems found\n"), "\(result.errors)")

        for broken in ["syntax.lua", "nosched.lua", "nocheck.lua", "badsched.lua"] {
            try FileManager.default.removeItem(at: plugins.appendingPathComponent(broken))
        }
        try plugin("other.lua", tick)
        let fixedFile = try config.write("plugins = \"checks\"\n")
        let ok = try BeaconCommand.run(["serve", "--config", fixedFile, "--check-config"])
        #expect(ok.status == 0, "\(ok.errors)")
        #expect(ok.output.contains("2 plugins in \(plugins.path) loaded: good, other"), "\(ok.output)")
    }

    @Test func checkConfigWithoutAFileChecksTheFlagsAndFolder() throws {
        let plugins = try PluginFolder()
        defer { plugins.delete() }
        try plugins.write("good.lua", tick)
        let ok = try BeaconCommand.run(["serve", "--plugins", plugins.url.path, "--check-config"])
        #expect(ok.status == 0, "\(ok.errors)")
        #expect(ok.output.contains("1 plugin in"), "\(ok.output)")
        let missing = try BeaconCommand.run(["serve", "--plugins", "/nonexistent/beacon-plugins", "--check-config"])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("/nonexistent/beacon-plugins"), "\(missing.errors)")
    }

    @Test func sighupAppliesTheLogLevelAndWarnsAboutRestartSettings() throws {
        let plugins = try PluginFolder(), config = try ConfigFolder()
        defer { plugins.delete(); config.delete() }
        try plugins.write("chatty.lua", #"""
            schedule = "100ms"
            n = 0
            function check_status() n = n + 1 beacon.log("debug", "debug line " .. n) return n end
            """#)
        let file = try config.write("log-level = \"info\"\nhistory = 100\n")
        let server = try BeaconProcess(plugins: plugins.url, extraArguments: ["--config", file])
        defer { server.stop() }
        usleep(500_000)
        #expect(!server.log.contains("debug line"), "debug is off at level info")

        try config.write("log-level = \"debug\"\nhistory = 50\n")
        server.send(signal: SIGHUP)
        #expect(server.waitForLog("debug line"), "log:\n\(server.log)")
        #expect(server.waitForLog("need a restart"), "log:\n\(server.log)")
        let warning = server.log.split(separator: "\n").first { $0.contains("need a restart") }.map(String.init) ?? ""
        #expect(warning.contains("history (running 100, file says 50)"), "\(warning)")
        #expect(!warning.contains("log-level"), "\(warning)")

        // A broken file on SIGHUP changes nothing and says why.
        try config.write("log-level = 3\n")
        server.send(signal: SIGHUP)
        #expect(server.waitForLog("config file not reloaded"), "log:\n\(server.log)")
        #expect(server.log.contains("key \"log-level\": expected one of"), "log:\n\(server.log)")
    }
}
