import NIOCore
import NIOHTTP1

/// Refusals of unauthenticated requests.
extension RequestRouter {
    /// `401` with `WWW-Authenticate: Bearer` (RFC 6750); `error="invalid_token"` when a token was
    /// presented but is not valid. The connection stays open for a retry with a token.
    func unauthorized(_ context: ChannelHandlerContext, _ head: HTTPRequestHead, invalid: Bool) {
        let challenge = invalid ? "Bearer error=\"invalid_token\"" : "Bearer"
        let reason = invalid ? "invalid token" : "a bearer token is required"
        self.send(
            context, head, .unauthorized, headers: HTTPHeaders([("WWW-Authenticate", challenge)]),
            body: ErrorBody.unauthorized(reason), contentType: "application/json", close: false)
    }

    /// The cookie that lets the dashboard's own requests (`EventSource`, `fetch`) carry the token
    /// it was opened with (`/?access_token=T`).
    static func tokenCookie(_ auth: TokenAuthenticator, _ query: RequestQuery) -> String? {
        guard let token = query.values(for: TokenAuthenticator.queryParameter).first(where: { auth.isValid(Substring($0)) })
        else { return nil }
        return TokenAuthenticator.setCookie(token: token)
    }
}
