import Dispatch
public import NIOCore

extension EventHub {
    /// Most stored events one resume replays; a resume that would need more gets `reset`.
    public static let maxStoredReplay = 100_000

    /// Attaches `channel` as a subscriber. Call on the channel's event loop; `writeHead` and
    /// `finished` are called on it too, once each (`writeHead` only when the subscriber starts).
    ///
    /// Under the hub's lock it checks the names, plans the replay and registers interest, so an
    /// event published meanwhile is neither lost nor duplicated. Then it calls `writeHead` with
    /// the resume outcome (for the `Beacon-Resume` header), puts the subscriber first in the
    /// pipeline, writes `retry:` and the replay, and calls `finished`. The caller may then remove
    /// its HTTP handlers. All of that happens before this returns, except when the resume reaches
    /// further back than memory holds and the hub has a store: then the store is read off the
    /// event loop first, and the rest follows on the loop when the events are there.
    ///
    /// - Parameter chunked: frame the body as HTTP/1.1 chunks (false for HTTP/1.0 peers).
    public func subscribe(
        channel: any Channel,
        scope: SubscriptionScope,
        lastEventID: String?,
        chunked: Bool,
        writeHead: @escaping (ResumeOutcome) -> Void,
        finished: @escaping (Result<ResumeOutcome, SubscribeRefusal>) -> Void = { _ in }
    ) {
        channel.eventLoop.assertInEventLoop()
        guard channel.isActive else { return finished(.failure(.channelClosed)) }
        let missingThrough = self.storage?.writer.missingThrough
        let planned = self.registry.withLockedValue { registry -> Attach in
            switch registry.plan(scope: scope, lastEventID: lastEventID, base: self.idBase, missingThrough: missingThrough) {
            case .failure(let refusal):
                return .refused(refusal)
            case .success(.fromStore(let lastId)):
                return .readStore(lastId: lastId)
            case .success(.ready(let plan)):
                let fanout = registry.fanout(for: channel.eventLoop, schedule: self.tickSchedule, counters: self.counters)
                fanout.register(plan.scope)
                return .start(plan, fanout)
            }
        }
        switch planned {
        case .refused(let refusal):
            finished(.failure(refusal))
        case .start(let plan, let fanout):
            finished(self.start(channel: channel, plan: plan, fanout: fanout, chunked: chunked, writeHead: writeHead))
        case .readStore(let lastId):
            let pending = NIOLoopBound((writeHead: writeHead, finished: finished), eventLoop: channel.eventLoop)
            self.resumeFromStore(channel: channel, scope: scope, lastId: lastId, chunked: chunked, attempt: 1, pending: pending)
        }
    }

    /// What planning under the lock decided.
    private enum Attach {
        case refused(SubscribeRefusal)
        /// Registered with the fan-out: start now.
        case start(SubscriptionPlan, LoopFanout)
        /// Nothing registered yet: read the store first.
        case readStore(lastId: UInt64)
    }

    /// Writes the head, attaches the subscriber and sends `retry:` and the replay. On the loop;
    /// the plan's interest is registered with `fanout` already.
    private func start(
        channel: any Channel, plan: SubscriptionPlan, fanout: LoopFanout, chunked: Bool, writeHead: (ResumeOutcome) -> Void
    ) -> Result<ResumeOutcome, SubscribeRefusal> {
        writeHead(plan.outcome)
        let subscriber = SSESubscriber(scope: plan.scope, chunked: chunked, minSequence: plan.sequence, fanout: fanout)
        do {
            try channel.pipeline.syncOperations.addHandler(subscriber, position: .first)
        } catch {
            fanout.unregister(plan.scope)
            return .failure(.channelClosed)
        }
        subscriber.start(retry: self.retryFrame, replay: plan.events)
        return .success(plan.outcome)
    }

    /// Reads the events after `lastId` from the store on the reader queue, then plans and starts
    /// on the channel's loop. When memory does not reach down to what the store held (its writer
    /// is behind), reads again a little later; after a few tries the resume is a reset.
    private func resumeFromStore(
        channel: any Channel, scope: SubscriptionScope, lastId: UInt64, chunked: Bool, attempt: Int,
        pending: NIOLoopBound<(writeHead: (ResumeOutcome) -> Void, finished: (Result<ResumeOutcome, SubscribeRefusal>) -> Void)>
    ) {
        guard let storage = self.storage else { return }
        let names: [String]? = scope == .all ? nil : scope.names
        let delay: DispatchTimeInterval = attempt == 1 ? .never : .milliseconds(60)
        let read = { @Sendable in
            let stored: StoredReplay
            do {
                let found = try storage.store.events(after: lastId, streams: names, limit: Self.maxStoredReplay + 1)
                let framed = found.events.prefix(Self.maxStoredReplay).map {
                    FramedEvent(id: $0.id, sequence: 0, stream: $0.stream, frame: EventHub.frame($0), status: $0.status)
                }
                stored = StoredReplay(events: framed, highestStored: found.highestStored, tooMany: found.events.count > Self.maxStoredReplay)
            } catch {
                stored = StoredReplay(events: [], highestStored: 0, tooMany: true)
            }
            channel.eventLoop.execute {
                self.finishResume(channel: channel, scope: scope, lastId: lastId, chunked: chunked, attempt: attempt, stored: stored, pending: pending)
            }
        }
        if case .never = delay { self.storeReads.async(execute: read) } else { self.storeReads.asyncAfter(deadline: .now() + delay, execute: read) }
    }

    private func finishResume(
        channel: any Channel, scope: SubscriptionScope, lastId: UInt64, chunked: Bool, attempt: Int, stored: StoredReplay,
        pending: NIOLoopBound<(writeHead: (ResumeOutcome) -> Void, finished: (Result<ResumeOutcome, SubscribeRefusal>) -> Void)>
    ) {
        guard channel.isActive else { return pending.value.finished(.failure(.channelClosed)) }
        let giveUp = attempt >= 25
        let planned = self.registry.withLockedValue { registry -> Result<(SubscriptionPlan, LoopFanout)?, SubscribeRefusal> in
            let replay = giveUp ? StoredReplay(events: [], highestStored: 0, tooMany: true) : stored
            switch registry.plan(scope: scope, lastId: lastId, stored: replay) {
            case .failure(let refusal): return .failure(refusal)
            case .success(.none): return .success(nil)
            case .success(.some(let plan)):
                let fanout = registry.fanout(for: channel.eventLoop, schedule: self.tickSchedule, counters: self.counters)
                fanout.register(plan.scope)
                return .success((plan, fanout))
            }
        }
        switch planned {
        case .failure(let refusal):
            pending.value.finished(.failure(refusal))
        case .success(.none):
            self.resumeFromStore(channel: channel, scope: scope, lastId: lastId, chunked: chunked, attempt: attempt + 1, pending: pending)
        case .success(.some(let (plan, fanout))):
            pending.value.finished(self.start(channel: channel, plan: plan, fanout: fanout, chunked: chunked, writeHead: pending.value.writeHead))
        }
    }

    /// What ``subscribe(channel:scope:lastEventID:chunked:writeHead:finished:)`` would answer,
    /// without subscribing (for `HEAD`); a resume from the store is assumed to succeed.
    package func checkSubscription(scope: SubscriptionScope, lastEventID: String?) -> Result<ResumeOutcome, SubscribeRefusal> {
        let missingThrough = self.storage?.writer.missingThrough
        return self.registry.withLockedValue { registry in
            registry.plan(scope: scope, lastEventID: lastEventID, base: self.idBase, missingThrough: missingThrough).map { planned in
                switch planned {
                case .ready(let plan): return plan.outcome
                case .fromStore: return .resumed
                }
            }
        }
    }

    /// Pending (conflated) event counts of every subscriber; for tests and diagnostics.
    package func pendingCounts() async throws -> [Int] {
        var counts: [Int] = []
        for fanout in self.registry.withLockedValue({ $0.fanouts }) {
            counts += try await fanout.eventLoop.submit { fanout.pendingCounts() }.get()
        }
        return counts
    }
}

extension EventHub.Registry {
    /// The fan-out of `eventLoop`, created on first use. Loops are few: a linear search.
    mutating func fanout(for eventLoop: any EventLoop, schedule: TickSchedule, counters: HubCounters) -> LoopFanout {
        if let existing = self.fanouts.first(where: { $0.eventLoop === eventLoop }) { return existing }
        let created = LoopFanout(eventLoop: eventLoop, schedule: schedule, counters: counters)
        self.fanouts.append(created)
        return created
    }
}
