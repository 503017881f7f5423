import NIOCore

/// One stream's history: the last `limit` events (with when each was published), the newest,
/// and the highest id evicted.
struct StreamRecord {
    let name: String
    private(set) var history: CircularBuffer<FramedEvent>
    /// Unix milliseconds of each event of `history`, in the same order.
    private(set) var times: CircularBuffer<Int64>
    private(set) var latest: FramedEvent?
    /// Highest id of this stream's events that are not in `history`; 0 when there is none. A
    /// resume from `lastId` is covered exactly when `highestEvictedId <= lastId`.
    private(set) var highestEvictedId: UInt64 = 0
    private let limit: Int

    /// - Parameter olderThan: with a store, the stream may have events up to this id that memory
    ///   does not hold; they are as good as evicted.
    init(name: String, limit: Int, olderThan: UInt64 = 0) {
        self.name = name
        self.limit = max(0, limit)
        self.history = CircularBuffer(initialCapacity: max(1, min(self.limit, 1024)))
        self.times = CircularBuffer(initialCapacity: max(1, min(self.limit, 1024)))
        self.highestEvictedId = olderThan
    }

    mutating func append(_ event: FramedEvent, at unixMilliseconds: Int64) {
        self.latest = event
        guard self.limit > 0 else {
            self.highestEvictedId = event.id
            return
        }
        if self.history.count >= self.limit {
            let evicted = self.history.removeFirst()
            self.times.removeFirst()
            self.highestEvictedId = evicted.id
        }
        self.history.append(event)
        self.times.append(unixMilliseconds)
    }

    /// Events to send a subscriber on connect, and whether they resume its `lastId` exactly.
    func replay(after lastId: UInt64?) -> (events: [FramedEvent], resumed: Bool) {
        guard let lastId, self.highestEvictedId <= lastId else {
            return (self.latest.map { [$0] } ?? [], false)
        }
        return (Array(self.history[self.firstIndex(after: lastId)...]), true)
    }

    /// The events of `history` with an id above `id` (every event of the stream above it when
    /// ``highestEvictedId`` is at most `id`).
    func events(after id: UInt64) -> ArraySlice<FramedEvent> {
        ArraySlice(self.history[self.firstIndex(after: id)...])
    }

    /// `history` as (event, time) pairs, oldest first.
    var timedHistory: Zip2Sequence<CircularBuffer<FramedEvent>, CircularBuffer<Int64>> { zip(self.history, self.times) }

    private func firstIndex(after lastId: UInt64) -> CircularBuffer<FramedEvent>.Index {
        // History is in id order: walk back from the newest to the first id above lastId.
        var index = self.history.endIndex
        while index > self.history.startIndex {
            let previous = self.history.index(before: index)
            if self.history[previous].id <= lastId { break }
            index = previous
        }
        return index
    }
}
