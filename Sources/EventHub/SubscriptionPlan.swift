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

/// A plan, or the need to read the store first.
enum PlannedSubscription {
    case ready(SubscriptionPlan)
    /// Memory no longer holds every event after `lastId` of the scope; the store should.
    case fromStore(lastId: UInt64)
}

/// Events read from the store for a resume, framed.
struct StoredReplay: Sendable {
    /// Framed events above the resume id, in id order.
    let events: [FramedEvent]
    /// The highest id in the store when read: every event of the scope up to it is in `events`.
    let highestStored: UInt64
    /// More events than a resume may replay.
    let tooMany: Bool
}

extension EventHub.Registry {
    /// Plans a subscription; refuses unknown names. `missingThrough` is nil without a store, else
    /// the highest id whose event the store may lack.
    func plan(
        scope: SubscriptionScope, lastEventID: String?, base: UInt64, missingThrough: UInt64?
    ) -> Result<PlannedSubscription, SubscribeRefusal> {
        let resolved: (scope: SubscriptionScope, records: [StreamRecord])
        switch self.resolve(scope) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found): resolved = found
        }
        if self.committedIds, let lastEventID, let id = UInt64(lastEventID), id >= self.nextId {
            // Committed by another node and not read here yet: the store has it.
            return .success(.fromStore(lastId: id))
        }
        let lastAssigned: UInt64? = self.nextId > base ? self.nextId - 1 : (self.restoredThrough > 0 ? self.restoredThrough : nil)
        let point = ResumePoint(lastEventID, base: base, lastAssigned: lastAssigned, restoredThrough: self.restoredThrough)
        var events: [FramedEvent] = []
        var allResumed = true
        for record in resolved.records {
            let replay: (events: [FramedEvent], resumed: Bool)
            switch point {
            case .none, .invalid: replay = record.replay(after: nil)
            case .after(let id): replay = record.replay(after: id)
            }
            events.append(contentsOf: replay.events)
            allResumed = allResumed && replay.resumed
        }
        if case .after(let id) = point, !allResumed, let missingThrough, id >= missingThrough {
            return .success(.fromStore(lastId: id))
        }
        if resolved.records.count > 1 { events.sort { $0.id < $1.id } }
        let outcome: ResumeOutcome
        switch point {
        case .none: outcome = .none
        case .invalid: outcome = .reset
        case .after: outcome = allResumed ? .resumed : .reset
        }
        return .success(.ready(SubscriptionPlan(scope: resolved.scope, outcome: outcome, events: events, sequence: self.sequence)))
    }

    /// Plans a resume from `lastId` with events read from the store: those up to what the store
    /// held, then memory's above it. Nil when memory no longer reaches down to the store's end
    /// (the writer is behind): read again.
    func plan(scope: SubscriptionScope, lastId: UInt64, stored: StoredReplay) -> Result<SubscriptionPlan?, SubscribeRefusal> {
        let resolved: (scope: SubscriptionScope, records: [StreamRecord])
        switch self.resolve(scope) {
        case .failure(let refusal): return .failure(refusal)
        case .success(let found): resolved = found
        }
        if stored.tooMany {
            var latest = resolved.records.compactMap(\.latest)
            latest.sort { $0.id < $1.id }
            return .success(SubscriptionPlan(scope: resolved.scope, outcome: .reset, events: latest, sequence: self.sequence))
        }
        if self.committedIds {
            // An id the store never gave out cannot be resumed; and memory must have caught up
            // with what the store held, or events between would be missed.
            if lastId > stored.highestStored {
                var latest = resolved.records.compactMap(\.latest)
                latest.sort { $0.id < $1.id }
                return .success(SubscriptionPlan(scope: resolved.scope, outcome: .reset, events: latest, sequence: self.sequence))
            }
            if self.nextId - 1 < stored.highestStored { return .success(nil) }
        }
        let floor = max(lastId, stored.highestStored)
        guard resolved.records.allSatisfy({ $0.highestEvictedId <= floor }) else { return .success(nil) }
        let names = Set(resolved.records.map(\.name))
        var events = stored.events.filter { $0.id > lastId && names.contains($0.stream) }
        var recent: [FramedEvent] = []
        for record in resolved.records { recent += record.events(after: floor) }
        recent.sort { $0.id < $1.id }
        events += recent
        return .success(SubscriptionPlan(scope: resolved.scope, outcome: .resumed, events: events, sequence: self.sequence))
    }

    /// The scope without duplicates, and its streams' records; refuses unknown names.
    private func resolve(_ scope: SubscriptionScope) -> Result<(scope: SubscriptionScope, records: [StreamRecord]), SubscribeRefusal> {
        if self.isShutDown { return .failure(.shuttingDown) }
        let names = scope.names
        let unknown = names.filter { self.streams[$0] == nil }
        if !unknown.isEmpty { return .failure(.unknownStreams(unknown)) }
        switch scope {
        case .stream(let name):
            return .success((scope, self.streams[name].map { [$0] } ?? []))
        case .streams:
            return .success((.streams(names), names.compactMap { self.streams[$0] }))
        case .all:
            return .success((.all, Array(self.streams.values)))
        }
    }
}
