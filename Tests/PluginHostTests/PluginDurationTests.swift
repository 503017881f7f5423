import LuaKit
@testable import PluginHost
import Testing

@Suite struct PluginDurationTests {
    @Test(arguments: [
        (LuaValue.integer(10), 10.0),
        (.number(0.25), 0.25),
        (.number(0.001), 0.001),
        (.string("250ms"), 0.25),
        (.string("10s"), 10),
        (.string("5m"), 300),
        (.string("1h"), 3600),
        (.string("1h30m"), 5400),
        (.string("2m30s"), 150),
        (.string("1.5s"), 1.5),
        (.string("1h0m5s100ms"), 3605.1),
    ])
    func acceptedForms(value: LuaValue, seconds: Double) throws {
        let parsed = try PluginDuration.seconds(from: value).get()
        #expect(abs(parsed - seconds) < 1e-9)
    }

    @Test(arguments: [
        LuaValue.string("10"), .string("10x"), .string(""), .string("s"), .string("-1s"), .string("30m1h"),
        .string("1s1s"), .string("1 s"), .string("1.2.3s"), .string("ms"), .integer(0), .number(-5),
        .number(0.0001), .number(.nan), .number(.infinity), .boolean(true), .nil, .function,
        .integer(8 * 24 * 3600),
    ])
    func rejectedForms(value: LuaValue) {
        guard case .failure(let error) = PluginDuration.seconds(from: value) else {
            Issue.record("\(value) was accepted")
            return
        }
        let message = error.message(field: "schedule")
        #expect(message.hasPrefix("schedule = "))
        #expect(message.contains("\"250ms\""), "the message lists what is accepted: \(message)")
    }

    @Test func theMessageNamesTheValue() {
        guard case .failure(let error) = PluginDuration.seconds(from: .string("10x")) else {
            Issue.record("accepted")
            return
        }
        #expect(error.message(field: "schedule").hasPrefix(#"schedule = "10x" is not a duration; use "#))
    }

    @Test func pluginAndEventNames() {
        #expect(PluginName.isValid("disk_usage-2"))
        #expect(!PluginName.isValid("disk.usage"))
        #expect(!PluginName.isValid(""))
        #expect(!PluginName.isValid("dïsk"))
        #expect(PluginName.isValidEventName("disk.low"))
        #expect(!PluginName.isValidEventName("disk low"))
        #expect(!PluginName.isValidEventName(String(repeating: "a", count: 65)))
    }
}
