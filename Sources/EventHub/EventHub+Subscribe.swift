public import NIOCore

extension EventHub {
    /// Attaches `channel` as a subscriber. Call on the channel's event loop.
    ///
    /// Under the hub's lock it checks the names, plans the replay and registers interest, so an
    /// event published meanwhile is neither lost nor duplicated. Then it calls `writeHead` with
    /// the resume outcome (for the `Beacon-Resume` header), puts the subscriber first in the
    /// pipeline and writes `retry:` and the replay. The caller may then remove its HTTP handlers.
    ///
    /// - Parameter chunked: frame the body as HTTP/1.1 chunks (false for HTTP/1.0 peers).
    public func subscribe(
        channel: any Channel,
        scope: SubscriptionScope,
        lastEventID: String?,
        chunked: Bool,
        writeHead: (ResumeOutcome) -> Void
    ) -> Result<ResumeOutcome, SubscribeRefusal> {
        channel.eventLoop.assertInEventLoop()
        guard channel.isActive else { return .failure(.channelClosed) }
        let planned = self.registry.withLockedValue { registry -> Result<(SubscriptionPlan, LoopFanout), SubscribeRefusal> in
            switch registry.plan(scope: scope, lastEventID: lastEventID, base: self.idBase) {
            case .failure(let refusal):
                return .failure(refusal)
            case .success(let plan):
                let fanout = registry.fanout(for: channel.eventLoop, schedule: self.tickSchedule, counters: self.counters)
                fanout.register(plan.scope)
                return .success((plan, fanout))
            }
        }
        switch planned {
        case .failure(let refusal):
            return .failure(refusal)
        case .success(let (plan, fanout)):
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
    }

    /// What ``subscribe(channel:scope:lastEventID:chunked:writeHead:)`` would answer, without
    /// subscribing (for `HEAD`).
    package func checkSubscription(scope: SubscriptionScope, lastEventID: String?) -> Result<ResumeOutcome, SubscribeRefusal> {
        self.registry.withLockedValue { registry in
            registry.plan(scope: scope, lastEventID: lastEventID, base: self.idBase).map(\.outcome)
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
