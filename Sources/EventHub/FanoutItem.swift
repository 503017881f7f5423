/// What the hub hands to an event loop's ``LoopFanout``, in hub order.
enum FanoutItem: Sendable {
    /// A published event.
    case event(FramedEvent)
    /// A stream's `done`: sent like an event, then the stream's single-stream subscribers end.
    case done(FramedEvent)
    /// Every stream's `done` (sent to the subscribers that follow it), then every subscriber ends.
    case shutdown([FramedEvent])
}
