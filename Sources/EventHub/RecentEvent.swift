import NIOCore

/// An event from a stream's history, read back from its wire form.
public struct RecentEvent: Sendable, Equatable {
    public var id: UInt64
    /// The `event:` name.
    public var event: String
    /// The `data:` lines joined with `\n`.
    public var data: String
    /// The stream's level once this event was published, nil when it had none.
    public var status: String?

    init(frame event: FramedEvent) {
        id = event.id
        status = event.status
        var name = "message"
        var data: [Substring] = []
        let text = String(buffer: event.frame.payload)
        for line in text.split(separator: "\n", omittingEmptySubsequences: true) {
            if line.hasPrefix("event: ") { name = String(line.dropFirst(7)) }
            if line.hasPrefix("data: ") { data.append(line.dropFirst(6)) }
        }
        self.event = name
        self.data = data.joined(separator: "\n")
    }
}
