import NIOCore

/// First in a connection's pipeline while it speaks HTTP (it leaves when the connection becomes
/// an event stream). Guards the request head against hostile clients before NIO's decoder sees it:
///
/// - a request line longer than the limit is answered `414`, a larger header section `431`;
/// - a connection that has not sent a complete request within the header timeout (counted from
///   when it opened or its previous response was sent) is closed: with `408` if it had sent part
///   of a request (slowloris), silently if it was idle.
///
/// It counts the bytes of each head as they arrive, so it knows where a request starts only while
/// each request arrives in reads of its own (every browser and `EventSource`). Once a read holds
/// more than one head (pipelining) or a body, it stops counting for the rest of the connection and
/// the decoder's own limits (request line plus headers, answered `431`) are the backstop.
final class RequestHeadGuard: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    struct Limits: Sendable {
        var requestLineBytes: Int
        var headerBytes: Int
        var timeout: TimeAmount?

        init(_ configuration: BeaconServerConfiguration) {
            self.requestLineBytes = max(64, configuration.maxRequestLineBytes)
            self.headerBytes = max(64, configuration.maxHeaderBytes)
            let seconds = configuration.headerTimeout
            self.timeout = seconds > 0 && seconds.isFinite ? .nanoseconds(Int64(min(seconds, 86_400) * 1e9)) : nil
        }
    }

    private enum Phase: Equatable {
        /// Reading a request line: its length so far, line break excluded.
        case requestLine(Int)
        /// Reading header lines: the current line's length and the section's total, line breaks included.
        case headers(line: Int, total: Int)
        /// A head is complete and the router answers it; `exact` when it ended exactly at the end
        /// of a read, so the next read starts the next request.
        case answering(exact: Bool)
        /// Lost track of request boundaries; the decoder's limits apply.
        case unsynced
        /// Answered with an error and closing: input is dropped.
        case refused
    }

    private let limits: Limits
    private var context: ChannelHandlerContext?
    private var phase = Phase.requestLine(0)
    private var timer: Scheduled<Void>?
    /// Bytes arrived since the last response (or since the connection opened).
    private var partial = false

    init(limits: Limits) {
        self.limits = limits
    }

    // MARK: Called by the router

    /// The router answered a request. With `keepAlive`, the connection waits for the next request
    /// (and the header timeout starts again); otherwise it is closing.
    func responded(keepAlive: Bool) {
        self.timer?.cancel()
        self.timer = nil
        self.partial = false
        switch self.phase {
        case .answering(exact: true): self.phase = .requestLine(0)
        case .answering(exact: false): self.phase = .unsynced
        case .requestLine, .headers, .unsynced, .refused: break
        }
        if keepAlive, let context = self.context { self.arm(context) }
    }

    // MARK: Channel events

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.arm(context)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = self.unwrapInboundIn(data)
        if buffer.readableBytes > 0 { self.partial = true }
        switch self.phase {
        case .refused:
            return
        case .answering:
            // More bytes before the router answered: a body or a request sent ahead.
            self.phase = .unsynced
        case .unsynced:
            break
        case .requestLine, .headers:
            if let refusal = self.scan(buffer) {
                self.refuse(context, refusal)
                return
            }
        }
        context.fireChannelRead(data)
    }

    // MARK: Internals

    private enum Refusal {
        case uriTooLong, headersTooLarge, timeout
    }

    /// A complete `Connection: close` response with a small JSON body, as raw bytes.
    private func response(_ refusal: Refusal) -> ByteBuffer {
        let status: String
        let body: String
        switch refusal {
        case .uriTooLong:
            status = "414 URI Too Long"
            body = ErrorBody.tooLarge("request line too long", limit: self.limits.requestLineBytes)
        case .headersTooLarge:
            status = "431 Request Header Fields Too Large"
            body = ErrorBody.tooLarge("request headers too large", limit: self.limits.headerBytes)
        case .timeout:
            status = "408 Request Timeout"
            body = ErrorBody.requestTimeout
        }
        return ByteBuffer(
            string: "HTTP/1.1 \(status)\r\nContent-Type: application/json\r\nContent-Length: \(body.utf8.count)\r\n"
                + "Connection: close\r\n\r\n\(body)")
    }

    /// Advances the head counters over `buffer`; returns a refusal when a limit is passed.
    private func scan(_ buffer: ByteBuffer) -> Refusal? {
        buffer.withUnsafeReadableBytes { bytes -> Refusal? in
            var index = 0
            while index < bytes.count {
                let byte = bytes[index]
                index += 1
                switch self.phase {
                case .requestLine(let length):
                    if byte == 0x0A {
                        // Empty lines before a request line are allowed and skipped (RFC 9112 §2.2).
                        self.phase = length == 0 ? .requestLine(0) : .headers(line: 0, total: 0)
                    } else if byte != 0x0D {
                        if length + 1 > self.limits.requestLineBytes { return .uriTooLong }
                        self.phase = .requestLine(length + 1)
                    }
                case .headers(let line, let total):
                    if total + 1 > self.limits.headerBytes { return .headersTooLarge }
                    if byte == 0x0A {
                        if line == 0 {
                            self.phase = .answering(exact: index == bytes.count)
                            return nil
                        }
                        self.phase = .headers(line: 0, total: total + 1)
                    } else {
                        self.phase = .headers(line: byte == 0x0D ? line : line + 1, total: total + 1)
                    }
                case .answering, .unsynced, .refused:
                    return nil
                }
            }
            return nil
        }
    }

    private func arm(_ context: ChannelHandlerContext) {
        guard let timeout = self.limits.timeout else { return }
        self.timer?.cancel()
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.timer = nil
            if self.partial {
                self.refuse(context, .timeout)
            } else {
                self.phase = .refused
                context.close(promise: nil)
            }
        }
    }

    /// Writes the refusal straight to the socket (this handler is first) and closes once it is sent.
    private func refuse(_ context: ChannelHandlerContext, _ refusal: Refusal) {
        self.phase = .refused
        self.timer?.cancel()
        self.timer = nil
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(self.wrapOutboundOut(self.response(refusal)), promise: written)
    }
}
