public import EventStore
import NIOConcurrencyHelpers
public import NIOCore

extension EventHub {
    /// The newest `limit` events of `stream` published in `range` (Unix milliseconds, both ends
    /// included), oldest first; nil when the stream is unknown. From the store when there is one
    /// (read off the event loop, with memory's events not yet written added), else from memory's
    /// history. The future completes on `eventLoop`.
    public func history(
        of stream: String, in range: ClosedRange<Int64>, limit: Int, on eventLoop: any EventLoop
    ) -> EventLoopFuture<[StoredEvent]?> {
        let inMemory = self.registry.withLockedValue { registry -> [StoredEvent]? in
            guard let record = registry.streams[stream] ?? registry.dormant[stream] else { return nil }
            return record.timedHistory.compactMap { event, time in
                range.contains(time) ? StoredEvent(frame: event, unixMilliseconds: time) : nil
            }
        }
        guard let storage = self.storage else {
            return eventLoop.makeSucceededFuture(inMemory.map { Array($0.suffix(max(0, limit))) })
        }
        let promise = eventLoop.makePromise(of: [StoredEvent]?.self)
        self.storeReads.async {
            do {
                let stored = try storage.store.history(of: stream, in: range, limit: limit)
                guard inMemory != nil || !stored.isEmpty else { return promise.succeed(nil) }
                let newest = stored.last?.id ?? 0
                let merged = stored + (inMemory ?? []).filter { $0.id > newest }
                promise.succeed(Array(merged.suffix(max(0, limit))))
            } catch {
                promise.fail(error)
            }
        }
        return promise.futureResult
    }
}

extension StoredEvent {
    /// An event of memory's history, read back from its wire form.
    init(frame: FramedEvent, unixMilliseconds: Int64) {
        let recent = RecentEvent(frame: frame)
        self.init(
            id: frame.id, stream: frame.stream, event: recent.event, data: Array(recent.data.utf8),
            unixMilliseconds: unixMilliseconds, status: frame.status)
    }
}
