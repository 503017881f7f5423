import CPrefetch
import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// One SSE connection, placed first in its channel's pipeline (next to the socket) once the
/// response head is written, so the fan-out's writes go straight to the socket.
///
/// Confined to its channel's event loop. While the channel is not writable (more than the
/// channel's high write-buffer water mark is waiting for the client) it keeps only the newest
/// event per stream (a newer status supersedes an older one) and writes those, in order, when
/// the channel drains. A channel unwritable for longer than the stall timeout is closed at the
/// fan-out's next tick.
final class SSESubscriber: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    let scope: SubscriptionScope
    private let chunked: Bool
    private let minSequence: UInt64
    private let fanout: LoopFanout
    private var context: ChannelHandlerContext?
    private var writable = true
    private var needsFlush = false
    /// Whether anything went out since the last heartbeat: a stream that is not idle needs none.
    private var wroteSinceBeat = false
    private var attached = false
    private var finished = false
    /// Newest undelivered event per stream while not writable, oldest first.
    private var pending: [FramedEvent] = []
    /// When the channel last became unwritable; nil while writable. ``tick(now:heartbeat:stallTimeout:)``
    /// closes the connection when this is older than the stall timeout.
    private var unwritableSince: NIODeadline?
    /// Where the NIO objects a write goes through live (its context, pipeline and channel), for
    /// ``prefetch()``. Plain numbers, never dereferenced: a cache hint cannot fault.
    private var contextAddress: UInt = 0
    private var pipelineAddress: UInt = 0
    private var channelAddress: UInt = 0

    init(scope: SubscriptionScope, chunked: Bool, minSequence: UInt64, fanout: LoopFanout) {
        self.scope = scope
        self.chunked = chunked
        self.minSequence = minSequence
        self.fanout = fanout
    }

    var pendingCount: Int { self.pending.count }

    // MARK: Fan-out side

    /// Registers with the loop's fan-out and sends `retry:` and the replay.
    func start(retry: SSEFrame, replay: [FramedEvent]) {
        self.attached = true
        self.fanout.add(self)
        self.write(retry)
        for event in replay { self.write(event.frame) }
        self.flush()
    }

    /// What ``deliver(_:flush:)`` did with an event.
    enum Delivery {
        /// Not written: already covered by the replay, finished, or held back (conflated) while
        /// the channel is not writable.
        case skipped
        /// Written and flushed.
        case flushed
        /// Written without a flush; `firstUnflushed` when nothing else was waiting for a flush,
        /// so the caller must flush this subscriber later.
        case written(firstUnflushed: Bool)
    }

    /// Writes an event unless already covered, conflating while unwritable. With `flush`, the
    /// write and the flush go down the pipeline in one pass (the usual case: one event per drain).
    @inline(__always)
    func deliver(_ event: FramedEvent, flush: Bool) -> Delivery {
        guard !self.finished, event.sequence > self.minSequence, let context = self.context else { return .skipped }
        guard self.writable else {
            if let index = self.pending.firstIndex(where: { $0.stream == event.stream }) {
                self.pending.remove(at: index)
                self.fanout.conflatedSinceReport += 1
            }
            self.pending.append(event)
            return .skipped
        }
        let bytes = self.wrapOutboundOut(self.chunked ? event.frame.chunk : event.frame.payload)
        self.wroteSinceBeat = true
        if flush {
            self.needsFlush = false
            context.writeAndFlush(bytes, promise: nil)
            return .flushed
        }
        let first = !self.needsFlush
        self.needsFlush = true
        context.write(bytes, promise: nil)
        return .written(firstUnflushed: first)
    }

    /// Starts loading the NIO objects the next ``deliver(_:flush:)`` goes through into the cache,
    /// so that the fan-out's write to this subscriber does not wait for memory at each of them.
    /// The lengths cover each object's header and stored properties: a context and a pipeline
    /// are small, a socket channel keeps several hundred bytes of state.
    @inline(__always)
    func prefetch() {
        beacon_prefetch_for_write(self.contextAddress, 128)
        beacon_prefetch_for_write(self.pipelineAddress, 64)
        beacon_prefetch_for_write(self.channelAddress, 512)
    }

    @inline(__always)
    private func write(_ frame: SSEFrame) {
        guard let context = self.context else { return }
        context.write(self.wrapOutboundOut(self.chunked ? frame.chunk : frame.payload), promise: nil)
        self.needsFlush = true
    }

    func flush() {
        guard self.needsFlush, let context = self.context else { return }
        self.needsFlush = false
        context.flush()
    }

    /// The fan-out's periodic tick: a heartbeat when due, writable and idle since the last one; a
    /// disconnect when the channel has been unwritable for longer than `stallTimeout`.
    func tick(now: NIODeadline, heartbeat: Bool, stallTimeout: TimeAmount?) {
        guard !self.finished, let context = self.context else { return }
        if self.writable {
            guard heartbeat else { return }
            guard !self.wroteSinceBeat else {
                self.wroteSinceBeat = false
                return
            }
            self.write(SSEFrame.heartbeat)
            self.flush()
            return
        }
        guard let stallTimeout, let since = self.unwritableSince, now - since > stallTimeout else { return }
        self.finished = true
        let stall = StalledSubscriber(
            peer: context.channel.remoteAddress.map(Self.describe) ?? "?",
            unwritableSeconds: Double((now - since).nanoseconds) / 1e9,
            pendingEvents: self.pending.count)
        self.pending.removeAll()
        self.fanout.counters.reportStall(stall)
        Self.abort(context.channel)
    }

    /// Closes with a reset (`SO_LINGER` 0): what the client has not read is dropped at once
    /// instead of lingering in the kernel for a peer that does not read.
    private static func abort(_ channel: any Channel) {
        if let sockets = channel as? any SocketOptionProvider {
            sockets.setSoLinger(linger(l_onoff: 1, l_linger: 0)).whenComplete { _ in channel.close(promise: nil) }
        } else {
            channel.close(promise: nil)
        }
    }

    private static func describe(_ address: SocketAddress) -> String {
        guard let ip = address.ipAddress else { return "\(address)" }
        let port = address.port.map(String.init) ?? "?"
        return ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)"
    }

    /// Ends the response (last chunk when chunked) and closes the connection.
    func finish() {
        guard !self.finished, let context = self.context else { return }
        self.finished = true
        self.pending.removeAll()
        guard self.writable else {
            context.close(promise: nil)
            return
        }
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        self.needsFlush = false
        context.writeAndFlush(self.wrapOutboundOut(self.chunked ? SSEFrame.terminator : ByteBuffer()), promise: written)
    }

    private func detach() {
        guard self.attached else { return }
        self.attached = false
        self.fanout.remove(self)
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.contextAddress = UInt(bitPattern: ObjectIdentifier(context))
        self.pipelineAddress = UInt(bitPattern: ObjectIdentifier(context.pipeline))
        self.channelAddress = UInt(bitPattern: ObjectIdentifier(context.channel))
        self.writable = context.channel.isWritable
        if !self.writable { self.unwritableSince = context.eventLoop.now }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.detach()
        self.context = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // A subscriber has nothing more to say; whatever it sends is dropped.
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.detach()
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.writable = context.channel.isWritable
        if self.writable {
            self.unwritableSince = nil
            if !self.pending.isEmpty, !self.finished {
                let events = self.pending
                self.pending.removeAll(keepingCapacity: true)
                for event in events { self.write(event.frame) }
                self.flush()
            }
            context.fireChannelWritabilityChanged()
            return
        }
        if self.unwritableSince == nil { self.unwritableSince = context.eventLoop.now }
        context.fireChannelWritabilityChanged()
        // Written-but-unflushed bytes (a fan-out drain flushes once at its end) count toward the
        // water mark too: push them to the socket now, so that only what the client has not read
        // keeps the channel unwritable. If the socket takes them, this comes back writable at once.
        self.flush()
    }
}
