/// What a subscriber got on connect, sent as the `Beacon-Resume` response header.
public enum ResumeOutcome: String, Sendable {
    /// No `Last-Event-ID`: the latest event of each stream.
    case none
    /// Every stream's history covered the gap: exactly the missed events.
    case resumed
    /// The id was too old (past memory's history, or the store's retention), unknown, lost in a
    /// crash, or unparseable: latest events instead.
    case reset
}

/// A parsed `Last-Event-ID` against the hub's id range.
enum ResumePoint: Equatable {
    case none
    /// A valid id of this hub's lifetime.
    case after(UInt64)
    /// Unusable: every stream sends its latest.
    case invalid

    /// `raw` is the header's (or query's) value; ids of this hub are `base...lastAssigned`, and
    /// with a store, those up to `restoredThrough` (the highest it held at start) too. Ids in
    /// between were never stored (lost in a crash): unusable.
    init(_ raw: String?, base: UInt64, lastAssigned: UInt64?, restoredThrough: UInt64 = 0) {
        guard let raw, !raw.isEmpty else {
            self = .none
            return
        }
        guard raw.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let id = UInt64(raw),
            let lastAssigned, id >= base || id <= restoredThrough, id <= lastAssigned
        else {
            self = .invalid
            return
        }
        self = .after(id)
    }
}
