import EventHub
import Logging
import NIOCore
import NIOHTTP1

/// Event-stream requests: hand the connection to the hub, then strip the HTTP handlers.
extension RequestRouter {
    func stream(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, scope: SubscriptionScope, lastEventID: String?
    ) {
        let chunked = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
        if head.method == .HEAD {
            switch self.settings.hub.checkSubscription(scope: scope, lastEventID: lastEventID) {
            case .success(let outcome):
                let response = self.eventStreamHead(head, outcome: outcome, chunked: chunked, closing: true)
                context.write(self.wrapOutboundOut(.head(response)), promise: nil)
                self.end(context, close: true)
            case .failure(let refusal):
                self.refuse(context, head, refusal, scope: scope)
            }
            return
        }
        self.state = .answering(pipelined: false)
        let router = NIOLoopBound(self, eventLoop: context.eventLoop)
        let bound = NIOLoopBound(context, eventLoop: context.eventLoop)
        self.settings.hub.subscribe(
            channel: context.channel, scope: scope, lastEventID: lastEventID, chunked: chunked,
            writeHead: { outcome in
                // HTTP/1.0 has no chunks: the body ends when the connection closes, so say so.
                let response = router.value.eventStreamHead(head, outcome: outcome, chunked: chunked, closing: !chunked)
                bound.value.write(router.value.wrapOutboundOut(.head(response)), promise: nil)
            },
            finished: { result in router.value.subscribed(bound.value, head, scope: scope, result: result) })
    }

    /// After the hub attached the connection (at once, or after reading its store): strip the
    /// HTTP handlers, or answer the refusal.
    private func subscribed(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, scope: SubscriptionScope,
        result: Result<ResumeOutcome, SubscribeRefusal>
    ) {
        switch result {
        case .success(let outcome):
            self.state = .streaming
            self.headGuard?.responded(keepAlive: false)
            self.logSubscriber(context.channel, scope: scope, outcome: outcome)
            Self.removeHTTPHandlers(context)
        case .failure(let refusal):
            self.state = .idle
            self.refuse(context, head, refusal, scope: scope)
        }
    }

    /// `closing`: the connection ends after this response (HEAD, HTTP/1.0), so it says `close`.
    private func eventStreamHead(
        _ request: HTTPRequestHead, outcome: ResumeOutcome, chunked: Bool, closing: Bool
    ) -> HTTPResponseHead {
        var headers = HTTPHeaders([
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("X-Accel-Buffering", "no"),
            ("Connection", closing ? "close" : "keep-alive"),
            ("Beacon-Resume", outcome.rawValue),
        ])
        if chunked { headers.add(name: "Transfer-Encoding", value: "chunked") }
        self.settings.cors.apply(origin: request.headers.first(name: "origin"), to: &headers)
        return HTTPResponseHead(version: request.version, status: .ok, headers: headers)
    }

    private func refuse(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ refusal: SubscribeRefusal, scope: SubscriptionScope
    ) {
        switch refusal {
        case .unknownStreams(let names):
            if case .stream(let name) = scope {
                self.send(context, head, .notFound, json: ErrorBody.unknownPlugin(name))
            } else {
                self.send(context, head, .notFound, json: ErrorBody.unknownPlugins(names))
            }
        case .shuttingDown:
            self.send(context, head, .serviceUnavailable, json: ErrorBody.shuttingDown, close: true)
        case .channelClosed:
            self.state = .closing
        }
    }

    private func logSubscriber(_ channel: any Channel, scope: SubscriptionScope, outcome: ResumeOutcome) {
        let peer = channel.remoteAddress.map { "\($0)" } ?? "?"
        let streams: String
        switch scope {
        case .stream(let name): streams = name
        case .streams(let names): streams = names.joined(separator: ",")
        case .all: streams = "*"
        }
        self.settings.logger.debug(
            "subscriber attached", metadata: ["peer": "\(peer)", "streams": "\(streams)", "resume": "\(outcome.rawValue)"])
        let logger = self.settings.logger
        channel.closeFuture.whenComplete { _ in
            logger.debug("subscriber left", metadata: ["peer": "\(peer)", "streams": "\(streams)"])
        }
    }

    /// Leaves only the socket and the subscriber in a streaming connection's pipeline.
    private static func removeHTTPHandlers(_ context: ChannelHandlerContext) {
        let pipeline = context.pipeline.syncOperations
        if let encoder = try? pipeline.context(handlerType: HTTPResponseEncoder.self) {
            pipeline.removeHandler(context: encoder, promise: nil)
        }
        if let validator = try? pipeline.context(handlerType: NIOHTTPResponseHeadersValidator.self) {
            pipeline.removeHandler(context: validator, promise: nil)
        }
        if let decoder = try? pipeline.context(handlerType: ByteToMessageHandler<HTTPRequestDecoder>.self) {
            pipeline.removeHandler(context: decoder, promise: nil)
        }
        if let headGuard = try? pipeline.context(handlerType: RequestHeadGuard.self) {
            pipeline.removeHandler(context: headGuard, promise: nil)
        }
        pipeline.removeHandler(context: context, promise: nil)
    }
}
