import EventHub
import Logging
import NIOCore
import NIOHTTP1

/// Answers one connection's requests, in order, each at once (nothing here waits on plugins).
///
/// A request for an event stream ends HTTP processing on the connection: the router hands the
/// channel to the hub (``EventHub/subscribe(channel:scope:lastEventID:chunked:writeHead:)``),
/// which puts its subscriber first in the pipeline, and then removes the HTTP handlers and itself,
/// so the streaming pipeline is just the socket and the subscriber.
final class RequestRouter: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    static let allow = "GET, HEAD, OPTIONS"

    private let hub: EventHub
    private let status: any StatusSource
    private let cors: CORSPolicy
    private let logger: Logger

    private enum State {
        case idle
        case reading(HTTPRequestHead)
        /// A response that closes the connection was sent; the rest of the input is ignored.
        case closing
        case streaming
    }
    private var state = State.idle

    init(hub: EventHub, status: any StatusSource, cors: CORSPolicy, logger: Logger) {
        self.hub = hub
        self.status = status
        self.cors = cors
        self.logger = logger
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            guard case .idle = self.state else { return }
            if let problem = Self.framingProblem(head) {
                self.send(context, head, .badRequest, json: ErrorBody.badRequest(problem), close: true)
                return
            }
            self.state = .reading(head)
        case .body:
            break
        case .end:
            guard case .reading(let head) = self.state else { return }
            self.state = .idle
            self.respond(context, head)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        switch self.state {
        case .idle, .reading:
            if error is HTTPParserError {
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
                self.send(context, head, .badRequest, json: ErrorBody.badRequest("malformed HTTP request"), close: true)
            } else {
                self.state = .closing
                context.close(promise: nil)
            }
        case .closing, .streaming:
            context.close(promise: nil)
        }
    }

    /// Why a request's body framing is refused: a body on GET/HEAD, or both length headers.
    static func framingProblem(_ head: HTTPRequestHead) -> String? {
        let hasLength = head.headers.contains(name: "content-length")
        let hasChunks = head.headers.contains(name: "transfer-encoding")
        if hasLength && hasChunks { return "Content-Length together with Transfer-Encoding" }
        guard head.method == .GET || head.method == .HEAD else { return nil }
        if hasChunks || head.headers["content-length"].contains(where: { $0 != "0" }) {
            return "\(head.method.rawValue) requests take no body"
        }
        return nil
    }

    // MARK: Routing

    private func respond(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        switch head.method {
        case .GET, .HEAD:
            self.route(context, head)
        case .OPTIONS:
            var headers = HTTPHeaders([("Allow", Self.allow)])
            if head.headers.contains(name: "access-control-request-method") {
                self.cors.applyPreflight(origin: head.headers.first(name: "origin"), to: &headers)
            }
            self.send(context, head, .noContent, headers: headers, body: ByteBuffer?.none, contentType: nil, close: false)
        default:
            self.send(
                context, head, .methodNotAllowed, headers: HTTPHeaders([("Allow", Self.allow)]),
                body: ErrorBody.methodNotAllowed(head.method.rawValue), contentType: "application/json", close: false)
        }
    }

    private func route(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let (route, query) = Route.parse(target: head.uri)
        switch route {
        case .dashboard:
            self.send(
                context, head, .ok, headers: [:], body: Dashboard.html, contentType: "text/html; charset=utf-8",
                close: false)
        case .health:
            self.send(context, head, .ok, json: "{\"status\":\"ok\"}")
        case .plugins:
            self.send(context, head, .ok, json: self.status.pluginsJSON())
        case .plugin(let name):
            if let body = self.status.pluginJSON(named: name) {
                self.send(context, head, .ok, json: body)
            } else {
                self.send(context, head, .notFound, json: ErrorBody.unknownPlugin(name))
            }
        case .invalidName(let name):
            self.send(context, head, .notFound, json: ErrorBody.unknownPlugin(name))
        case .invalidNames(let asked):
            // Impossible names are unknown without a lookup; possible ones are checked.
            let known = Set(self.hub.streamNames)
            var seen = Set<String>()
            let unknown = asked.filter { (!Route.isPluginName($0) || !known.contains($0)) && seen.insert($0).inserted }
            self.send(context, head, .notFound, json: ErrorBody.unknownPlugins(unknown))
        case .notFound(let path):
            self.send(context, head, .notFound, json: ErrorBody.notFound(path: path))
        case .events(let scope):
            let lastEventID = head.headers.first(name: "last-event-id") ?? query.first("lastEventId")
            self.stream(context, head, scope: scope, lastEventID: lastEventID)
        }
    }

    // MARK: Event streams

    private func stream(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, scope: SubscriptionScope, lastEventID: String?
    ) {
        let chunked = head.version.major > 1 || (head.version.major == 1 && head.version.minor >= 1)
        if head.method == .HEAD {
            switch self.hub.checkSubscription(scope: scope, lastEventID: lastEventID) {
            case .success(let outcome):
                let response = self.eventStreamHead(head, outcome: outcome, chunked: chunked)
                context.write(self.wrapOutboundOut(.head(response)), promise: nil)
                self.end(context, close: true)
            case .failure(let refusal):
                self.refuse(context, head, refusal, scope: scope)
            }
            return
        }
        let result = self.hub.subscribe(
            channel: context.channel, scope: scope, lastEventID: lastEventID, chunked: chunked
        ) { outcome in
            let response = self.eventStreamHead(head, outcome: outcome, chunked: chunked)
            context.write(self.wrapOutboundOut(.head(response)), promise: nil)
        }
        switch result {
        case .success(let outcome):
            self.state = .streaming
            self.logSubscriber(context.channel, scope: scope, outcome: outcome)
            Self.removeHTTPHandlers(context)
        case .failure(let refusal):
            self.refuse(context, head, refusal, scope: scope)
        }
    }

    private func eventStreamHead(_ request: HTTPRequestHead, outcome: ResumeOutcome, chunked: Bool) -> HTTPResponseHead {
        var headers = HTTPHeaders([
            ("Content-Type", "text/event-stream; charset=utf-8"),
            ("Cache-Control", "no-cache"),
            ("X-Accel-Buffering", "no"),
            ("Connection", "keep-alive"),
            ("Beacon-Resume", outcome.rawValue),
        ])
        if chunked { headers.add(name: "Transfer-Encoding", value: "chunked") }
        self.cors.apply(origin: request.headers.first(name: "origin"), to: &headers)
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
        self.logger.debug(
            "subscriber attached", metadata: ["peer": "\(peer)", "streams": "\(streams)", "resume": "\(outcome.rawValue)"])
        let logger = self.logger
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
        pipeline.removeHandler(context: context, promise: nil)
    }

    // MARK: Plain responses

    private func send(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, json: String,
        close: Bool = false
    ) {
        self.send(context, head, status, headers: [:], body: json, contentType: "application/json", close: close)
    }

    private func send(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus, json: [UInt8]) {
        var buffer = context.channel.allocator.buffer(capacity: json.count)
        buffer.writeBytes(json)
        self.send(context, head, status, headers: [:], body: buffer, contentType: "application/json", close: false)
    }

    private func send(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers: HTTPHeaders, body: String?, contentType: String?, close: Bool
    ) {
        let buffer = body.map { context.channel.allocator.buffer(string: $0) }
        self.send(context, head, status, headers: headers, body: buffer, contentType: contentType, close: close)
    }

    private func send(
        _ context: ChannelHandlerContext, _ head: HTTPRequestHead, _ status: HTTPResponseStatus,
        headers extra: HTTPHeaders, body: ByteBuffer?, contentType: String?, close: Bool
    ) {
        var headers = extra
        if let contentType { headers.add(name: "Content-Type", value: contentType) }
        if let body { headers.add(name: "Content-Length", value: String(body.readableBytes)) }
        self.cors.apply(origin: head.headers.first(name: "origin"), to: &headers)
        let keepAlive = head.isKeepAlive && !close
        headers.add(name: "Connection", value: keepAlive ? "keep-alive" : "close")
        let response = HTTPResponseHead(version: head.version, status: status, headers: headers)
        context.write(self.wrapOutboundOut(.head(response)), promise: nil)
        if let body, head.method != .HEAD, body.readableBytes > 0 {
            context.write(self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        self.end(context, close: !keepAlive)
    }

    /// Ends the response; with `close`, closes the connection once it is written.
    private func end(_ context: ChannelHandlerContext, close: Bool) {
        guard close else {
            context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: nil)
            return
        }
        self.state = .closing
        let channel = context.channel
        let written = context.eventLoop.makePromise(of: Void.self)
        written.futureResult.whenComplete { _ in channel.close(promise: nil) }
        context.writeAndFlush(self.wrapOutboundOut(.end(nil)), promise: written)
    }
}
