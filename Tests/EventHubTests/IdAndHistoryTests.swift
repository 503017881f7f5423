import Testing

@testable import EventHub

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

@Suite("Ids and history")
struct IdAndHistoryTests {
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
        hub.removeStream("a", reason: "deleted")
        #expect(hub.streamNames == ["b"])
        hub.addStream("a")  // re-added: starts empty
        #expect(self.ids(hub, "a") == [])
        hub.shutdown(reason: "shutdown")
        hub.publish(stream: "b", event: "e", json: Array("1".utf8))
        #expect(self.ids(hub, "b") == [])
        #expect(hub.subscriberCount == 0)
    }
}
