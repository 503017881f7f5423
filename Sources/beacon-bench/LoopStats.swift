import NIOCore

/// The counters of one event loop's subscribers. Every handler on that loop adds to them
/// directly; the run reads them through ``snapshot()`` submitted to the loop.
final class LoopStats: @unchecked Sendable {
    // @unchecked: every property is read and written only on `loop` (handlers and submitted tasks).
    let loop: any EventLoop

    /// Whether the measurement window is open: events, bytes and latencies count only then.
    var measuring = false
    /// Whether the run is closing the connections itself (closes are then not the server's).
    var closing = false

    /// What this loop's subscribers counted so far.
    var counts = Snapshot()
    private var channels: [ObjectIdentifier: any Channel] = [:]

    init(loop: any EventLoop) { self.loop = loop }

    /// Counts a dial that will never stream, and why.
    func fail(_ reason: String) {
        counts.failed += 1
        note(reason)
    }

    /// Counts an error by its reason.
    func note(_ reason: String) { counts.errors[reason, default: 0] += 1 }

    /// Keeps `channel` among the connections to close at the end, until ``forget(_:)``.
    func keep(_ channel: any Channel) { channels[ObjectIdentifier(channel)] = channel }

    /// Drops `channel` from the connections to close.
    func forget(_ channel: any Channel) { channels[ObjectIdentifier(channel)] = nil }

    /// Connections not closed yet.
    var remaining: Int { channels.count }

    /// Opens the window: clears what the window counts.
    func startWindow() {
        counts.events = 0
        counts.eventsWithoutField = 0
        counts.comments = 0
        counts.bytes = 0
        counts.latency = LatencyHistogram()
        measuring = true
    }

    /// Closes the window.
    func stopWindow() { measuring = false }

    /// Closes every open stream; the run is ending.
    func closeAll() {
        closing = true
        for channel in channels.values { channel.close(mode: .all, promise: nil) }
    }

    /// A copy of the counters, to read off the loop.
    func snapshot() -> Snapshot { counts }

    /// The counters of one or more loops (added up with ``add(_:)``).
    struct Snapshot: Sendable {
        /// Dials that got a `200 text/event-stream` response head.
        var connected = 0
        /// Dials that will never stream (refused, timed out, a bad answer).
        var failed = 0
        /// Failures and stream errors by reason.
        var errors: [String: Int] = [:]
        /// Streams that the server ended, reset or closed.
        var closedByServer = 0
        /// Streams open now (response head received, not closed since).
        var open = 0
        /// Events dispatched in the window.
        var events = 0
        /// Events in the window whose data had no usable time field.
        var eventsWithoutField = 0
        /// Comment lines (`: keep-alive`) in the window.
        var comments = 0
        /// Body bytes (after de-chunking) in the window.
        var bytes = 0
        /// Ids that did not go up, over the whole run.
        var idRegressions = 0
        /// Latencies of the window's events.
        var latency = LatencyHistogram()

        /// Dials that have connected or failed.
        var resolved: Int { connected + failed }

        /// Adds `other` to these counters.
        mutating func add(_ other: Snapshot) {
            connected += other.connected
            failed += other.failed
            errors.merge(other.errors, uniquingKeysWith: +)
            closedByServer += other.closedByServer
            open += other.open
            events += other.events
            eventsWithoutField += other.eventsWithoutField
            comments += other.comments
            bytes += other.bytes
            idRegressions += other.idRegressions
            latency.merge(other.latency)
        }
    }
}
