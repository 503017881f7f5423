import Testing

@testable import EventHub

@Suite("Resume math")
struct ResumePlanTests {
    /// History 3, base 1000; a gets 1000…1004 (1000, 1001 evicted), b gets nothing.
    private func hub() -> EventHub {
        let hub = EventHub(configuration: EventHubConfiguration(historyLimit: 3), idBase: 1000)
        hub.addStream("a")
        hub.addStream("b")
        for n in 0..<5 { hub.publish(stream: "a", event: "e", json: Array("\(n)".utf8)) }
        return hub
    }

    private func plan(_ hub: EventHub, _ scope: SubscriptionScope, _ lastEventID: String?) -> (ResumeOutcome, [UInt64])? {
        let result = hub.registry.withLockedValue {
            $0.plan(scope: scope, lastEventID: lastEventID, base: hub.idBase, missingThrough: nil)
        }
        guard case .success(.ready(let plan)) = result else { return nil }
        return (plan.outcome, plan.events.map(\.id))
    }

    @Test func noLastEventIdGivesLatest() throws {
        let result = try #require(self.plan(self.hub(), .stream("a"), nil))
        #expect(result.0 == .none)
        #expect(result.1 == [1004])
        let empty = try #require(self.plan(self.hub(), .stream("a"), ""))
        #expect(empty.0 == .none)
    }

    @Test(arguments: [
        ("1001", [UInt64(1002), 1003, 1004]),  // highest evicted: everything after it is held
        ("1002", [1003, 1004]),
        ("1003", [1004]),
        ("1004", []),  // up to date
    ])
    func coveredGapsReplayExactly(lastId: String, expected: [UInt64]) throws {
        let result = try #require(self.plan(self.hub(), .stream("a"), lastId))
        #expect(result.0 == .resumed)
        #expect(result.1 == expected)
    }

    @Test(arguments: [
        "1000",  // evicted: 1001 is gone too
        "999",  // before this hub's base: from before a restart
        "1005",  // above the counter: unknown
        "99999999999999999999999",  // overflows
        "12a", "-1", " 1002", "+1002", "1002.0",
    ])
    func unusableIdsResetToLatest(lastId: String) throws {
        let result = try #require(self.plan(self.hub(), .stream("a"), lastId))
        #expect(result.0 == .reset)
        #expect(result.1 == [1004])
    }

    @Test func resumeBeforeAnyEventIsReset() throws {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1000)
        hub.addStream("a")
        let result = try #require(self.plan(hub, .stream("a"), "1000"))
        #expect(result.0 == .reset)
        #expect(result.1 == [])
    }

    @Test func multiplexMergesInIdOrderAndResetsIfAnyStreamCannotResume() throws {
        let hub = EventHub(configuration: EventHubConfiguration(historyLimit: 2), idBase: 1)
        hub.addStream("a")
        hub.addStream("b")
        for stream in ["a", "b", "a", "b", "a", "a"] { hub.publish(stream: stream, event: "e", json: Array("x".utf8)) }
        // a: 1,3,5,6 (history 5,6; 3 evicted last); b: 2,4.
        let covered = try #require(self.plan(hub, .streams(["b", "a"]), "3"))
        #expect(covered.0 == .resumed)
        #expect(covered.1 == [4, 5, 6])
        let partial = try #require(self.plan(hub, .all, "2"))
        #expect(partial.0 == .reset)
        #expect(partial.1 == [4, 6])
        let none = try #require(self.plan(hub, .all, nil))
        #expect(none.0 == .none)
        #expect(none.1 == [4, 6])
    }

    @Test func unknownNamesAreRefused() {
        let hub = self.hub()
        let result = hub.registry.withLockedValue { $0.plan(scope: .streams(["a", "x", "x"]), lastEventID: nil, base: 1000, missingThrough: nil) }
        guard case .failure(let refusal) = result else {
            Issue.record("expected a refusal")
            return
        }
        #expect(refusal == .unknownStreams(["x"]))
    }
}
