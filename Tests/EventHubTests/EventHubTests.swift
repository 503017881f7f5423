import Testing

@testable import EventHub

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("EventHub: ids, history and resume plans")
struct EventHubTests {
    private func ids(_ hub: EventHub, _ stream: String) -> [UInt64] {
        hub.registry.withLockedValue { Array($0.streams[stream]?.history.map(\.id) ?? []) }
    }

    @Test func idsStartAtBootMillisecondsTimesThousand() {
        func nowMilliseconds() -> UInt64 {
            var now = timespec()
            clock_gettime(CLOCK_REALTIME, &now)
            return UInt64(now.tv_sec) * 1000 + UInt64(now.tv_nsec) / 1_000_000
        }
        let before = nowMilliseconds()
        let hub = EventHub(configuration: EventHubConfiguration())
        let after = nowMilliseconds()
        #expect(hub.idBase % 1000 == 0)
        #expect(hub.idBase / 1000 >= before && hub.idBase / 1000 <= after)
        hub.addStream("a")
        hub.publish(stream: "a", event: "e", json: Array("1".utf8))
        #expect(self.ids(hub, "a") == [hub.idBase])
    }

    @Test func oneCounterAcrossStreamsMonotonic() {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 7_000)
        hub.addStream("a")
        hub.addStream("b")
        for n in 0..<6 {
            hub.publish(stream: n % 2 == 0 ? "a" : "b", event: "e", json: Array("\(n)".utf8))
        }
        #expect(self.ids(hub, "a") == [7_000, 7_002, 7_004])
        #expect(self.ids(hub, "b") == [7_001, 7_003, 7_005])
    }

    @Test func concurrentPublishersGetUniqueIdsInHistoryOrder() async {
        let hub = EventHub(configuration: EventHubConfiguration(historyLimit: 10_000), idBase: 1)
        hub.addStream("a")
        await withTaskGroup(of: Void.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    for _ in 0..<500 { hub.publish(stream: "a", event: "e", json: Array("x".utf8)) }
                }
            }
        }
        #expect(self.ids(hub, "a") == Array(1...2000))
    }

    @Test func ringEvictsOldestAndRemembersHighestEvicted() {
        let hub = EventHub(configuration: EventHubConfiguration(historyLimit: 3), idBase: 100)
        hub.addStream("a")
        for n in 0..<5 { hub.publish(stream: "a", event: "e", json: Array("\(n)".utf8)) }
        #expect(self.ids(hub, "a") == [102, 103, 104])
        let record = hub.registry.withLockedValue { $0.streams["a"] }
        #expect(record?.highestEvictedId == 101)
        #expect(record?.latest?.id == 104)
    }

    @Test func zeroHistoryStillKeepsLatest() {
        let hub = EventHub(configuration: EventHubConfiguration(historyLimit: 0), idBase: 100)
        hub.addStream("a")
        hub.publish(stream: "a", event: "e", json: Array("1".utf8))
        hub.publish(stream: "a", event: "e", json: Array("2".utf8))
        let record = hub.registry.withLockedValue { $0.streams["a"] }
        #expect(record?.history.isEmpty == true)
        #expect(record?.latest?.id == 101)
        #expect(record?.highestEvictedId == 101)
    }

    @Test func streamsAddRemoveAndUnknownPublish() {
        let hub = EventHub(configuration: EventHubConfiguration(), idBase: 1)
        hub.addStream("b")
        hub.addStream("a")
        hub.addStream("a")
        #expect(hub.streamNames == ["a", "b"])
        hub.publish(stream: "a", event: "e", json: Array("1".utf8))
        hub.addStream("a")  // idempotent: history kept
        #expect(self.ids(hub, "a") == [1])
        hub.publish(stream: "nope", event: "e", json: Array("1".utf8))
        #expect(hub.registry.withLockedValue { $0.nextId } == 2)
        hub.removeStream("a", reason: .removed)
        #expect(hub.streamNames == ["b"])
        hub.addStream("a")  // re-added: starts empty
        #expect(self.ids(hub, "a") == [])
        hub.shutdown(reason: .shutdown)
        hub.publish(stream: "b", event: "e", json: Array("1".utf8))
        #expect(self.ids(hub, "b") == [])
        #expect(hub.subscriberCount == 0)
    }

    // MARK: - Resume plans

    /// History 3, base 1000; a gets 1000…1004 (1000, 1001 evicted), b gets nothing.
    private func resumeHub() -> EventHub {
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
        let result = try #require(self.plan(self.resumeHub(), .stream("a"), nil))
        #expect(result.0 == .none)
        #expect(result.1 == [1004])
        let empty = try #require(self.plan(self.resumeHub(), .stream("a"), ""))
        #expect(empty.0 == .none)
    }

    @Test(arguments: [
        ("1001", [UInt64(1002), 1003, 1004]),  // highest evicted: everything after it is held
        ("1002", [1003, 1004]),
        ("1003", [1004]),
        ("1004", []),  // up to date
    ])
    func coveredGapsReplayExactly(lastId: String, expected: [UInt64]) throws {
        let result = try #require(self.plan(self.resumeHub(), .stream("a"), lastId))
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
        let result = try #require(self.plan(self.resumeHub(), .stream("a"), lastId))
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
        let hub = self.resumeHub()
        let result = hub.registry.withLockedValue { $0.plan(scope: .streams(["a", "x", "x"]), lastEventID: nil, base: 1000, missingThrough: nil) }
        guard case .failure(let refusal) = result else {
            Issue.record("expected a refusal")
            return
        }
        #expect(refusal == .unknownStreams(["x"]))
    }
}
