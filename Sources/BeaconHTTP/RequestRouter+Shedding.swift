import NIOCore
import NIOHTTP1

/// Answers on a connection over a connection limit: always closing, never touching the hub.
///
/// An event stream gets `200 text/event-stream` with only a long, jittered `retry:`, because a
/// browser's `EventSource` gives up for good on any other status but reconnects after `retry:`
/// when a `200` stream ends. Other requests get `503` with a jittered `Retry-After`. `/healthz`
/// is still answered `200`, so a supervisor's liveness probe does not restart a server that is
/// merely full (which would drop every stream and start a reconnect storm).
extension RequestRouter {
    /// `retry:` sent to turned-away streams, in milliseconds; each connection draws its own.
    static let shedRetryMilliseconds = 10_000...30_000
    /// `Retry-After` sent with `503`, in seconds.
    static let shedRetryAfterSeconds = 10...30

    func shed(_ context: ChannelHandlerContext, _ head: HTTPRequestHead) {
        let path = head.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let readable = head.method == .GET || head.method == .HEAD
        if readable, path == "/healthz" {
            self.send(context, head, .ok, json: "{\"status\":\"ok\"}", close: true)
        } else if readable, path == "/events" || path.hasPrefix("/events/") {
            let retry = Int.random(in: Self.shedRetryMilliseconds)
            let body = ": too many connections, reconnect later\nretry: \(retry)\n\n"
            self.send(
                context, head, .ok, headers: HTTPHeaders([("Cache-Control", "no-cache")]), body: body,
                contentType: "text/event-stream; charset=utf-8", close: true)
        } else {
            let headers = HTTPHeaders([("Retry-After", String(Int.random(in: Self.shedRetryAfterSeconds)))])
            self.send(
                context, head, .serviceUnavailable, headers: headers, body: ErrorBody.tooManyConnections,
                contentType: "application/json", close: true)
        }
    }
}
