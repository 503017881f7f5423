/// One item of a stream as the fan-out sees it: a published event or a stream's `done`.
struct FramedEvent: Sendable {
    /// The event's id; 0 for id-less messages (`done`).
    let id: UInt64
    /// Hub-wide order of everything fanned out; subscribers ignore items at or below the
    /// sequence they attached at (those are covered by their replay).
    let sequence: UInt64
    /// The stream (plugin) name.
    let stream: String
    /// The framed bytes.
    let frame: SSEFrame
    /// The level of the stream once this event was published (see ``StoredEvent/status``).
    var status: String? = nil
}
