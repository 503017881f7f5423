import Testing

@testable import SQLiteEventStore

@Suite struct StreamIdRunTests {
    @Test(arguments: [
        [Int64(7)],
        [1, 2, 3],
        [1_796_380_507_581_005, 1_796_380_507_582_005, 1_796_380_507_582_133, 1_796_380_507_600_000],
        [0, 127, 128, 16_511, 16_512, 1 << 40, Int64.max],
    ])
    func idsComeBackAsTheyWent(ids: [Int64]) {
        let run = StreamIdRun(ids: ids[...])
        #expect(run.first == ids.first && run.last == ids.last)
        #expect(run.ids == ids)
        let stored = StreamIdRun(first: run.first, last: run.last, distances: run.distances)
        #expect(stored.ids == ids)
    }

    @Test func anIdAThousandAfterTheLastTakesTwoBytes() {
        let ids = (0..<100).map { 1_796_380_507_581_005 + Int64($0) * 1000 }
        #expect(StreamIdRun(ids: ids[...]).distances.count == 99 * 2)
    }

    @Test func longListsAreCutIntoRunsOfAtMostTheCapacity() {
        let ids = (1...(2 * StreamIdRun.capacity + 3)).map(Int64.init)
        let runs = StreamIdRun.runs(of: ids)
        #expect(runs.map { $0.ids.count } == [StreamIdRun.capacity, StreamIdRun.capacity, 3])
        #expect(runs.flatMap(\.ids) == ids)
    }

    @Test func aDamagedRunStopsWhereItStopsMakingSense() {
        // A distance that runs past `last`, then an unterminated byte.
        let run = StreamIdRun(first: 10, last: 20, distances: [5, 100, 0x80])
        #expect(run.ids == [10, 15])
    }
}
