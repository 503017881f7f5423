import ArgumentParser
import Testing

@testable import beacon

/// Each setting's kind, default and range.
@Suite struct SettingKeyTests {
    /// The defaults are values the key itself accepts, of the key's kind.
    @Test(arguments: SettingKey.allCases)
    func everyDefaultIsAcceptedByItsKey(key: SettingKey) {
        #expect(key.problem(with: key.defaultValue) == nil, "\(key)")
        switch (key.kind, key.defaultValue) {
        case (.string, .string), (.word, .string), (.integer, .integer), (.number, .number), (.strings, .strings): break
        default: Issue.record("\(key): default \(key.defaultValue) is not \(key.kind.expected)")
        }
    }

    @Test(arguments: [
        (SettingKey.port, SettingValue.integer(65536), "must be between 0 and 65535"),
        (.port, .integer(-1), "must be between 0 and 65535"),
        (.maxConcurrentChecks, .integer(0), "must be at least 1"),
        (.maxEventBytes, .integer(63), "must be at least 64"),
        (.maxConnections, .integer(-1), "must not be negative"),
        (.stallTimeout, .number(-0.5), "must not be negative"),
        (.headerTimeout, .number(.infinity), "must not be negative"),
        (.loadTimeout, .number(0), "must be more than 0 seconds"),
        (.plugins, .string(""), "must not be empty"),
        (.logLevel, .string("loud"), #"must be one of "trace", "debug""#),
        (.logFormat, .string("xml"), #"must be one of "text", "json""#),
        (.retention, .string("7 days"), #""7 days" is not"#),
    ])
    func outOfRangeValuesAreNamed(key: SettingKey, value: SettingValue, problem: String) throws {
        let found = try #require(key.problem(with: value))
        #expect(found.hasPrefix(problem), "\(found)")
    }

    @Test func edgesOfTheRangesAreAccepted() {
        #expect(SettingKey.port.problem(with: .integer(0)) == nil)
        #expect(SettingKey.port.problem(with: .integer(65535)) == nil)
        #expect(SettingKey.stallTimeout.problem(with: .number(0)) == nil)
        #expect(SettingKey.maxEventBytes.problem(with: .integer(64)) == nil)
        #expect(SettingKey.store.problem(with: .string("sqlite:data/beacon.db")) == nil)
        #expect(SettingKey.retention.problem(with: .string("1d12h")) == nil)
    }

    @Test func validateNamesTheFlagOfTheFirstBadValue() {
        #expect(throws: ValidationError.self) { try SettingKey.validate([.port: .integer(1 << 20)]) }
        do {
            try SettingKey.validate([.history: .integer(0), .port: .integer(80)])
            Issue.record("no error")
        } catch let error as ValidationError {
            #expect(error.message == "--history must be at least 1")
        } catch {
            Issue.record("\(error)")
        }
    }

    @Test func valuesAreShownAsTheConfigFileWritesThem() {
        #expect(SettingValue.string(#"a "b" \c"#).description == #""a \"b\" \\c""#)
        #expect(SettingValue.number(15).description == "15")
        #expect(SettingValue.number(2.5).description == "2.5")
        #expect(SettingValue.strings(["*", "x"]).description == #"["*", "x"]"#)
    }
}
