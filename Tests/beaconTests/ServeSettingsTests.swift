import ArgumentParser
import Testing

@testable import beacon

/// How `beacon serve` settles each setting: the command line, else the config file, else the default.
@Suite struct ServeSettingsTests {
    @Test func theCommandLineWinsOverTheFileWhichWinsOverTheDefault() throws {
        let flags = try Serve.parse(["--port", "9000", "--cors-origin", "https://a.example", "--cors-origin", "*"])
        let file = ConfigFile.read(text: "port = 7000\nheartbeat = 5\nlog-level = \"debug\"\n", path: "/etc/beacon/beacon.toml")
        #expect(file.problems.isEmpty)
        let settings = ServeSettings(commandLine: flags.commandLineValues, configFile: file.values)
        #expect(settings.port == 9000)
        #expect(settings.corsOrigins == ["https://a.example", "*"])
        #expect(settings[.heartbeat] == .number(5))
        #expect(settings.logLevel == .debug)
        #expect(settings.host == "127.0.0.1")
        #expect(settings.plugins == "plugins")
        #expect(settings.shutdownTimeout == 10)
        #expect(settings.tokenFile == nil)
        #expect(settings.store == .memory)
        #expect(settings.retentionSeconds == 7 * 86_400)
    }

    @Test func flagsNotGivenSetNothing() throws {
        #expect(try Serve.parse([]).commandLineValues.isEmpty)
        #expect(try Serve.parse(["--heartbeat", "2.5"]).commandLineValues == [.heartbeat: .number(2.5)])
    }

    @Test(arguments: [
        (["--port", "70000"], "--port must be between 0 and 65535"),
        (["--history", "0"], "--history must be at least 1"),
        (["--heartbeat", "0"], "--heartbeat must be more than 0 seconds"),
        (["--store", "postgres://x"], "--store"),
        (["--retention", "soon"], "--retention \"soon\" is not"),
    ])
    func outOfRangeFlagsAreRefusedNamingTheFlag(arguments: [String], message: String) {
        #expect {
            _ = try Serve.parse(arguments)
        } throws: { error in
            Serve.message(for: error).contains(message)
        }
    }

    /// A SIGHUP compares the settings the file now asks for with those running.
    @Test func keysDifferingAndReplacing() {
        let running = ServeSettings(commandLine: [.port: .integer(9000)])
        let wanted = ServeSettings(commandLine: [.port: .integer(9000)], configFile: [.logLevel: .string("debug"), .history: .integer(5)])
        #expect(wanted.keysDiffering(from: running) == [.history, .logLevel])
        let applied = running.replacing(.logLevel, with: wanted[.logLevel])
        #expect(wanted.keysDiffering(from: applied) == [.history])
        #expect(applied.logLevel == .debug)
    }
}
