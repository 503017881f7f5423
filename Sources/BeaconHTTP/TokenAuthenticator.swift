import NIOHTTP1

/// Bearer-token authentication (`--token-file`). A request presents a token as
/// `Authorization: Bearer T`, or, for `EventSource` (which cannot set headers), as the query
/// parameter `access_token=T` or the cookie `beacon_token=T`. Every presented token is compared
/// with every configured one in constant time (no early exit on the first differing byte).
struct TokenAuthenticator: Sendable {
    /// Where a request's accepted token came from.
    enum Source: Equatable {
        case header, query, cookie
    }

    enum Verdict: Equatable {
        case granted(Source)
        /// No token at all.
        case missing
        /// Tokens were presented, none valid.
        case invalid
    }

    static let queryParameter = "access_token"
    static let cookieName = "beacon_token"

    private let tokens: [[UInt8]]

    /// nil when `tokens` is empty (authentication off). Empty strings are never valid: a list of
    /// only empty strings keeps authentication on and lets nobody in.
    init?(tokens: [String]) {
        guard !tokens.isEmpty else { return nil }
        self.tokens = tokens.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    func check(_ head: HTTPRequestHead, query: RequestQuery) -> Verdict {
        var presented = false
        for value in head.headers["authorization"] {
            guard let token = Self.bearer(value) else { continue }
            presented = true
            if self.isValid(token) { return .granted(.header) }
        }
        for token in query.values(for: Self.queryParameter) {
            presented = true
            if self.isValid(Substring(token)) { return .granted(.query) }
        }
        for token in Self.cookies(named: Self.cookieName, in: head.headers) {
            presented = true
            if self.isValid(token) { return .granted(.cookie) }
        }
        return presented ? .invalid : .missing
    }

    /// Whether `candidate` equals one of the tokens; time depends only on the lengths.
    func isValid(_ candidate: Substring) -> Bool {
        let bytes = Array(candidate.utf8)
        var matches: UInt8 = 0
        for token in self.tokens {
            matches |= Self.constantTimeEqual(bytes, token) ? 1 : 0
        }
        return matches != 0
    }

    /// Compares every byte of `secret` whatever the differences; the lengths are compared too.
    static func constantTimeEqual(_ candidate: [UInt8], _ secret: [UInt8]) -> Bool {
        var difference = UInt(bitPattern: candidate.count ^ secret.count)
        for index in 0..<secret.count {
            let byte = index < candidate.count ? candidate[index] : 0
            difference |= UInt(byte ^ secret[index])
        }
        return difference == 0
    }

    /// The token of `Bearer TOKEN` (scheme case-insensitive; empty for `Bearer` alone), or nil
    /// for another scheme.
    static func bearer(_ value: String) -> Substring? {
        let trimmed = value.drop { $0 == " " || $0 == "\t" }
        guard trimmed.prefix(6).lowercased() == "bearer" else { return nil }
        let rest = trimmed.dropFirst(6)
        guard rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
        let token = rest.drop { $0 == " " || $0 == "\t" }
        let end = token.firstIndex { $0 == " " || $0 == "\t" } ?? token.endIndex
        return token[..<end]
    }

    /// Values of every cookie named `name` in the `Cookie` headers.
    static func cookies(named name: String, in headers: HTTPHeaders) -> [Substring] {
        var values: [Substring] = []
        for header in headers["cookie"] {
            for pair in header.split(separator: ";") {
                let trimmed = pair.drop { $0 == " " }
                guard let equals = trimmed.firstIndex(of: "="), trimmed[..<equals] == name else { continue }
                var value = trimmed[trimmed.index(after: equals)...]
                while value.last == " " { value = value.dropLast() }
                if value.count >= 2, value.first == "\"", value.last == "\"" { value = value.dropFirst().dropLast() }
                values.append(value)
            }
        }
        return values
    }

    /// `Set-Cookie` for a token accepted from the query on the dashboard, so the page's own
    /// requests carry it; nil when the token has characters a cookie value cannot hold.
    static func setCookie(token: String) -> String? {
        let safe = token.utf8.allSatisfy { byte in
            byte == 0x21 || (0x23...0x2B).contains(byte) || (0x2D...0x3A).contains(byte)
                || (0x3C...0x5B).contains(byte) || (0x5D...0x7E).contains(byte)
        }
        guard safe, !token.isEmpty else { return nil }
        return "\(cookieName)=\(token); Path=/; HttpOnly; SameSite=Strict"
    }
}
