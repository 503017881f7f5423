import NIOCore
import NIOHTTP1

/// One SSE subscriber: sends its GET, checks the response head, parses the stream and counts
/// events, latencies and id order into its event loop's ``LoopStats``.
///
/// Sits after NIO's HTTP client handlers, so chunked and unframed bodies arrive alike as body
/// parts. Latency is the wall clock at the read (taken once per read batch) minus the event's
/// time field.
final class SubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPClientResponsePart
    typealias OutboundOut = HTTPClientRequestPart

    /// What every subscriber of a run shares.
    struct Settings: Sendable {
        /// The `data:` field holding the event's Unix time in seconds.
        var field: JSONNumberField
        /// Stop reading after the response head (a client that never reads).
        var stall: Bool
    }

    private enum State { case awaitingHead, streaming, finished }

    /// The most event names whose last id is tracked per connection.
    private static let trackedNames = 64

    private let stats: LoopStats
    private let request: HTTPRequestHead
    private let settings: Settings
    private let headDeadline: NIODeadline
    private var state = State.awaitingHead
    private var headTimer: Scheduled<Void>?
    private var parser = SSEParser()
    private var lastIDs: [(name: [UInt8], id: [UInt8])] = []
    private var readTime: Double?

    /// A subscriber that sends `request` and counts into `stats`; without a response head by
    /// `headDeadline` it gives up.
    init(stats: LoopStats, request: HTTPRequestHead, settings: Settings, headDeadline: NIODeadline) {
        self.stats = stats
        self.request = request
        self.settings = settings
        self.headDeadline = headDeadline
    }

    func channelActive(context: ChannelHandlerContext) {
        stats.keep(context.channel)
        context.write(wrapOutboundOut(.head(request)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        headTimer = context.eventLoop.assumeIsolated().scheduleTask(deadline: headDeadline) { [self] in
            guard state == .awaitingHead else { return }
            fail("head_timeout", context: context)
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard state == .awaitingHead else { return }
            headTimer?.cancel()
            let type = head.headers.first(name: "content-type")?.lowercased() ?? ""
            if head.status != .ok {
                fail("status_\(head.status.code)", context: context)
            } else if !type.hasPrefix("text/event-stream") {
                fail("not_event_stream", context: context)
            } else {
                state = .streaming
                stats.counts.connected += 1
                stats.counts.open += 1
                if settings.stall { try? context.channel.syncOptions?.setOption(ChannelOptions.autoRead, value: false) }
            }
        case .body(let buffer):
            guard state == .streaming else { return }
            if stats.measuring { stats.counts.bytes += buffer.readableBytes }
            buffer.withUnsafeReadableBytes { bytes in
                parser.feed(bytes, onEvent: { handle($0) }, onComment: { stats.counts.comments += 1 })
            }
            if parser.overflowed {
                stats.note("event_too_large")
                endStream(byServer: false, context: context)
            }
        case .end:
            if state == .awaitingHead {
                fail("no_response", context: context)
            } else {
                endStream(byServer: true, context: context)
            }
        }
    }

    func channelReadComplete(context: ChannelHandlerContext) {
        readTime = nil
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let reason = FailureReason.name(of: error)
        switch state {
        case .awaitingHead: fail(reason, context: context)
        case .streaming:
            if !stats.closing { stats.note(reason) }
            endStream(byServer: true, context: context)
        case .finished: context.close(promise: nil)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        headTimer?.cancel()
        stats.forget(context.channel)
        switch state {
        case .awaitingHead: fail("closed_before_head", context: context)
        case .streaming: endStream(byServer: true, context: context)
        case .finished: break
        }
    }

    // MARK: - Events

    private func handle(_ event: SSEParser.Event) {
        if let id = event.id { checkOrder(name: event.name, id: id) }
        guard stats.measuring else { return }
        stats.counts.events += 1
        guard let stamp = settings.field.value(in: event.data) else {
            stats.counts.eventsWithoutField += 1
            return
        }
        let now: Double
        if let readTime {
            now = readTime
        } else {
            now = WallClock.now()
            readTime = now
        }
        let micros = (now - stamp) * 1e6
        guard micros.isFinite, abs(micros) < 1e15 else {
            stats.counts.eventsWithoutField += 1
            return
        }
        stats.counts.latency.record(micros: Int(micros.rounded()))
    }

    /// Counts an id that is not greater than the previous id of the same event name.
    private func checkOrder(name: [UInt8], id: [UInt8]) {
        if let index = lastIDs.firstIndex(where: { $0.name == name }) {
            if !EventIDOrder.isGreater(id, than: lastIDs[index].id) { stats.counts.idRegressions += 1 }
            lastIDs[index].id.removeAll(keepingCapacity: true)
            lastIDs[index].id.append(contentsOf: id)
        } else if lastIDs.count < Self.trackedNames {
            var ownName: [UInt8] = [], ownID: [UInt8] = []
            ownName.append(contentsOf: name)
            ownID.append(contentsOf: id)
            lastIDs.append((ownName, ownID))
        }
    }

    // MARK: - Ending

    /// A dial that will not stream.
    private func fail(_ reason: String, context: ChannelHandlerContext) {
        state = .finished
        headTimer?.cancel()
        stats.fail(reason)
        context.close(promise: nil)
    }

    /// A stream that ends: by the server (EOF, reset, end of the response) or by this client.
    private func endStream(byServer: Bool, context: ChannelHandlerContext) {
        guard state == .streaming else { return }
        state = .finished
        stats.counts.open -= 1
        if byServer, !stats.closing { stats.counts.closedByServer += 1 }
        context.close(promise: nil)
    }
}
