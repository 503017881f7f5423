/// What a new subscriber gets, computed under the hub's lock together with its registration so
/// that nothing published meanwhile is lost or sent twice.
struct SubscriptionPlan {
    /// The scope with duplicate names removed.
    let scope: SubscriptionScope
    /// `Beacon-Resume`.
    let outcome: ResumeOutcome
    /// Replayed (resume) or latest events, in id order.
    let events: [FramedEvent]
    /// The hub's sequence at planning time: live items at or below it are already in `events`.
    let sequence: UInt64
}

extension EventHub.Registry {
    /// Plans a subscription; refuses unknown names.
    func plan(scope: SubscriptionScope, lastEventID: String?, base: UInt64) -> Result<SubscriptionPlan, SubscribeRefusal> {
        if self.isShutDown { return .failure(.shuttingDown) }
        let names = scope.names
        let unknown = names.filter { self.streams[$0] == nil }
        if !unknown.isEmpty { return .failure(.unknownStreams(unknown)) }
        let resolved: SubscriptionScope
        let records: [StreamRecord]
        switch scope {
        case .stream(let name):
            resolved = scope
            records = self.streams[name].map { [$0] } ?? []
        case .streams:
            resolved = .streams(names)
            records = names.compactMap { self.streams[$0] }
        case .all:
            resolved = .all
            records = Array(self.streams.values)
        }
        let lastAssigned: UInt64? = self.nextId > base ? self.nextId - 1 : nil
        let point = ResumePoint(lastEventID, base: base, lastAssigned: lastAssigned)
        var events: [FramedEvent] = []
        var allResumed = true
        for record in records {
            let replay: (events: [FramedEvent], resumed: Bool)
            switch point {
            case .none, .invalid: replay = record.replay(after: nil)
            case .after(let id): replay = record.replay(after: id)
            }
            events.append(contentsOf: replay.events)
            allResumed = allResumed && replay.resumed
        }
        if records.count > 1 { events.sort { $0.id < $1.id } }
        let outcome: ResumeOutcome
        switch point {
        case .none: outcome = .none
        case .invalid: outcome = .reset
        case .after: outcome = allResumed ? .resumed : .reset
        }
        return .success(SubscriptionPlan(scope: resolved, outcome: outcome, events: events, sequence: self.sequence))
    }
}
