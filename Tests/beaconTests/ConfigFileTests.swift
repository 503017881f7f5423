import Foundation
import Testing

@testable import beacon

/// Reading `beacon.toml`: values, paths relative to the file, and every problem at once.
@Suite struct ConfigFileTests {
    @Test func valuesOfEveryKindAreRead() {
        let reading = ConfigFile.read(text: """
            host = "::1"
            port = 0
            heartbeat = 2
            shutdown-timeout = 0.5
            cors-origin = ["https://a.example", "*"]
            log-format = "json"
            """, path: "beacon.toml")
        #expect(reading.problems.isEmpty, "\(reading.problems)")
        #expect(reading.values == [
            .host: .string("::1"), .port: .integer(0), .heartbeat: .number(2), .shutdownTimeout: .number(0.5),
            .corsOrigin: .strings(["https://a.example", "*"]), .logFormat: .string("json"),
        ])
        #expect(reading.unusable.isEmpty)
    }

    /// A relative folder or store path means the same from any working directory.
    @Test func relativePathsAreTakenFromTheFilesFolder() {
        let reading = ConfigFile.read(text: """
            plugins = "checks"
            store = "sqlite:data/beacon.db"
            token-file = "tokens"
            """, path: "/etc/beacon/beacon.toml")
        #expect(reading.values[.plugins] == .string("/etc/beacon/checks"))
        #expect(reading.values[.store] == .string("sqlite:/etc/beacon/data/beacon.db"))
        let absolute = ConfigFile.read(text: "plugins = \"/srv/plugins\"\nstore = \"sqlite:/var/beacon.db\"", path: "/etc/beacon/beacon.toml")
        #expect(absolute.values[.plugins] == .string("/srv/plugins"))
        #expect(absolute.values[.store] == .string("sqlite:/var/beacon.db"))
    }

    /// Every problem is reported, each naming the key; the good values are kept for `--check-config`.
    @Test func everyProblemIsListedAndGoodValuesKept() {
        let reading = ConfigFile.read(text: """
            port = "8080"
            history = 0
            log_level = "debug"
            colour = "blue"
            heartbeat = 3
            """, path: "beacon.toml")
        #expect(reading.problems.count == 4, "\(reading.problems)")
        #expect(reading.problems.contains(#"key "port": expected an integer, found a string"#))
        #expect(reading.problems.contains(#"key "history" = 0: must be at least 1"#))
        #expect(reading.problems.contains(#"unknown key "log_level" (did you mean "log-level"?)"#))
        #expect(reading.problems.contains { $0.hasPrefix(#"unknown key "colour"; the keys are the flags of `beacon serve`: plugins, host"#) })
        #expect(reading.values == [.heartbeat: .number(3)])
        #expect(reading.unusable == [.port, .history])
    }

    @Test func brokenTOMLNamesLineAndColumnAndMakesEveryKeyUnusable() throws {
        let reading = ConfigFile.read(text: "port = 8080\nhost = \n", path: "beacon.toml")
        let problem = try #require(reading.problems.first)
        #expect(problem.hasPrefix("line 2, column"), "\(problem)")
        #expect(reading.unusable == Set(SettingKey.allCases))
    }

    @Test func loadThrowsEveryProblemNamingTheFile() throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("beacon.toml").path
        try Data("port = -1\nretention = \"forever\"\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect {
            _ = try ConfigFile.load(path: path)
        } throws: { error in
            let lines = String(describing: error).split(separator: "\n")
            return lines.count == 2 && lines.allSatisfy { $0.hasPrefix("\(path): key ") }
        }
        #expect {
            _ = try ConfigFile.load(path: path + ".missing")
        } throws: { error in
            String(describing: error) == "\(path).missing: the config file does not exist"
        }
        try Data("port = 9000\n".utf8).write(to: URL(fileURLWithPath: path))
        #expect(try ConfigFile.load(path: path) == [.port: .integer(9000)])
    }
}
