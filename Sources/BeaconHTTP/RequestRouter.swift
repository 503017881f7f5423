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

    /// The hub, status source, CORS, logger, tokens and head limit every connection shares.
    let settings: RouterSettings
    /// Over a connection limit: every request is answered "come back later" and the connection closed.
    let shedding: Bool
    /// The connection's head guard, told when a response is sent (nil in handler-level tests).
    let headGuard: RequestHeadGuard?

    enum State {
        case idle
        case reading(HTTPRequestHead)
        /// A response that closes the connection was sent; the rest of the input is ignored.
        case closing
        case streaming
        /// An answer is being prepared off the event loop (a store read). A request that arrives
        /// meanwhile is not answered: the connection closes after this answer, so the client
        /// sends it again on a new one.
        case answering(pipelined: Bool)
    }
    /// Shared with the extensions in `RequestRouter+*.swift`.
    var state = State.idle

    init(settings: RouterSettings, shedding: Bool = false, headGuard: RequestHeadGuard? = nil) {
        self.settings = settings
        self.shedding = shedding
        self.headGuard = headGuard
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.unwrapInboundIn(data) {
        case .head(let head):
            if case .answering = self.state { self.state = .answering(pipelined: true) }
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
            if let error = error as? HTTPParserError {
                // The decoder's limits are a backstop behind the head guard's (see RequestHeadGuard).
                let head = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
                if error == .headerOverflow {
                    self.send(
                        context, head, .requestHeaderFieldsTooLarge,
                        json: ErrorBody.tooLarge("request head too large", limit: self.settings.headLimitBytes), close: true)
                } else {
                    self.send(context, head, .badRequest, json: ErrorBody.badRequest("malformed HTTP request"), close: true)
                }
            } else {
                self.state = .closing
                context.close(promise: nil)
            }
        case .closing, .streaming, .answering:
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
        if self.shedding {
            self.shed(context, head)
            return
        }
        switch head.method {
        case .GET, .HEAD:
            self.route(context, head)
        case .OPTIONS:
            var headers = HTTPHeaders([("Allow", Self.allow)])
            if head.headers.contains(name: "access-control-request-method") {
                self.settings.cors.applyPreflight(origin: head.headers.first(name: "origin"), to: &headers)
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
        var extra = HTTPHeaders()
        if route != .health, let auth = self.settings.auth {
            switch auth.check(head, query: query) {
            case .granted(let source):
                if route == .dashboard, source == .query, let cookie = Self.tokenCookie(auth, query) {
                    extra.add(name: "Set-Cookie", value: cookie)
                }
            case .missing:
                self.unauthorized(context, head, invalid: false)
                return
            case .invalid:
                self.unauthorized(context, head, invalid: true)
                return
            }
        }
        switch route {
        case .dashboard:
            // The page's own policy, and as a header also that no other site may frame it.
            extra.add(name: "Content-Security-Policy", value: Dashboard.contentSecurityPolicy + "; frame-ancestors 'none'")
            self.send(
                context, head, .ok, headers: extra, body: Dashboard.html, contentType: "text/html; charset=utf-8",
                close: false)
        case .health:
            if let degraded = self.settings.status.degradedJSON() {
                self.send(context, head, .serviceUnavailable, json: degraded)
            } else {
                self.send(context, head, .ok, json: "{\"status\":\"ok\"}")
            }
        case .cluster:
            if let body = self.settings.status.clusterJSON() {
                self.send(context, head, .ok, json: body)
            } else {
                self.send(context, head, .notFound, json: ErrorBody.notFound(path: "/cluster"))
            }
        case .metrics:
            if let text = self.settings.status.metricsText() {
                var body = context.channel.allocator.buffer(capacity: text.count)
                body.writeBytes(text)
                self.send(
                    context, head, .ok, headers: [:], body: body, contentType: "text/plain; version=0.0.4; charset=utf-8",
                    close: false)
            } else {
                self.send(context, head, .notFound, json: ErrorBody.notFound(path: "/metrics"))
            }
        case .plugins:
            self.send(context, head, .ok, json: self.settings.status.pluginsJSON())
        case .plugin(let name):
            if let body = self.settings.status.pluginJSON(named: name) {
                self.send(context, head, .ok, json: body)
            } else {
                self.send(context, head, .notFound, json: ErrorBody.unknownPlugin(name))
            }
        case .pluginHistory(let name):
            self.history(context, head, plugin: name, query: query)
        case .status:
            if let body = self.settings.status.statusJSON() {
                self.send(context, head, .ok, json: body)
            } else {
                self.send(context, head, .notFound, json: ErrorBody.notFound(path: "/status"))
            }
        case .badge(let name):
            if let badge = self.settings.status.badgeLevel(named: name) {
                self.send(
                    context, head, .ok, headers: ["Cache-Control": "no-cache"],
                    body: Badge.svg(name: name, level: badge.level), contentType: "image/svg+xml; charset=utf-8",
                    close: false)
            } else {
                self.send(context, head, .notFound, json: ErrorBody.unknownPlugin(name))
            }
        case .invalidName(let name):
            self.send(context, head, .notFound, json: ErrorBody.unknownPlugin(name))
        case .invalidNames(let asked):
            // Impossible names are unknown without a lookup; possible ones are checked.
            let known = Set(self.settings.hub.streamNames)
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
}
