import NIOCore

/// One stream's history: the last `limit` events, the newest, and the highest id evicted.
struct StreamRecord {
    let name: String
    private(set) var history: CircularBuffer<FramedEvent>
    private(set) var latest: FramedEvent?
    /// Highest id dropped from `history`; 0 when nothing was. A resume from `lastId` is covered
    /// exactly when `highestEvictedId <= lastId`.
    private(set) var highestEvictedId: UInt64 = 0
    private let limit: Int

    init(name: String, limit: Int) {
        self.name = name
        self.limit = max(0, limit)
        self.history = CircularBuffer(initialCapacity: max(1, min(self.limit, 1024)))
    }

    mutating func append(_ event: FramedEvent) {
        self.latest = event
        guard self.limit > 0 else {
            self.highestEvictedId = event.id
            return
        }
        if self.history.count >= self.limit {
            let evicted = self.history.removeFirst()
            self.highestEvictedId = evicted.id
        }
        self.history.append(event)
    }

    /// Events to send a subscriber on connect, and whether they resume its `lastId` exactly.
    func replay(after lastId: UInt64?) -> (events: [FramedEvent], resumed: Bool) {
        guard let lastId, self.highestEvictedId <= lastId else {
            return (self.latest.map { [$0] } ?? [], false)
        }
        var events: [FramedEvent] = []
        // History is in id order: walk back from the newest to the first id above lastId.
        var index = self.history.endIndex
        while index > self.history.startIndex {
            let previous = self.history.index(before: index)
            if self.history[previous].id <= lastId { break }
            index = previous
        }
        events.append(contentsOf: self.history[index...])
        return (events, true)
    }
}
