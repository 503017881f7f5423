/// What must hold for any input, whatever the client sent.
struct RoutingInvariants {
    let scenario: RoutingScenario
    /// Whether the input carries the one valid token (as is, or percent-encoded).
    let presentsToken: Bool

    static let token = "s3cret"

    init(scenario: RoutingScenario, input: [UInt8]) {
        self.scenario = scenario
        let token = Array(Self.token.utf8)
        self.presentsToken = Self.contains(input, token) || Self.contains(Self.percentDecoded(input), token)
    }

    private var allowedStatuses: Set<Int> {
        var allowed: Set<Int> = [200, 204, 400, 404, 405, 408, 414, 431]
        if !self.scenario.server.tokens.isEmpty { allowed.insert(401) }
        if self.scenario.shedding { allowed.insert(503) }
        return allowed
    }

    /// Only plugin names reach the hub: never one with `/`, `.`, NUL or anything outside
    /// `[A-Za-z0-9_-]`. At most one subscription per connection; none when shedding.
    func checkSubscriptions(_ connection: RoutingConnection) throws(FuzzViolation) {
        for name in connection.subscribedNames where !PluginNames.isValid(name) {
            throw FuzzViolation("the hub was asked to stream \(String(reflecting: name)) by name")
        }
        let subscribers = connection.hub.subscriberCount
        if subscribers > (self.scenario.shedding ? 0 : 1) {
            throw FuzzViolation("\(subscribers) subscribers on one connection")
        }
    }

    /// Only plugin names reach the status source.
    func checkLookups(_ names: [String]) throws(FuzzViolation) {
        for name in names where !PluginNames.isValid(name) {
            throw FuzzViolation("the status source was asked about plugin \(String(reflecting: name))")
        }
    }

    func check(_ responses: [ScannedResponse]) throws(FuzzViolation) {
        for (offset, response) in responses.enumerated() {
            let label = "response \(offset + 1) (\(response.status))"
            do {
                try self.check(response, isLast: offset == responses.count - 1)
            } catch {
                throw FuzzViolation("\(label): \(error.message)")
            }
        }
        if self.scenario.shedding && responses.count > 1 {
            throw FuzzViolation("\(responses.count) responses on a connection over the limit (it must close after one)")
        }
    }

    private func check(_ response: ScannedResponse, isLast: Bool) throws(FuzzViolation) {
        guard self.allowedStatuses.contains(response.status) else {
            throw FuzzViolation("status \(response.status) is never expected here")
        }
        let connection = response.values("connection").map { $0.lowercased() }
        guard connection == ["close"] || connection == ["keep-alive"] else {
            throw FuzzViolation("Connection headers \(connection)")
        }
        if response.closes && !isLast { throw FuzzViolation("more output after a Connection: close response") }
        if response.isOpen && !response.closes {
            throw FuzzViolation("a stream was still open after the hub shut down")
        }
        if let body = response.body, response.header("content-type") == "application/json", !JSONCheck.isValid(body) {
            throw FuzzViolation("JSON body is not JSON: \(ResponseScanner.show(body[...]))")
        }
        switch response.status {
        case 204, 405:
            guard response.header("allow") == "GET, HEAD, OPTIONS" else { throw FuzzViolation("no Allow header") }
        case 401:
            guard response.header("www-authenticate")?.hasPrefix("Bearer") == true else {
                throw FuzzViolation("no WWW-Authenticate: Bearer")
            }
        case 503:
            guard let after = response.header("retry-after").flatMap(Int.init), (10...30).contains(after) else {
                throw FuzzViolation("503 without a Retry-After of 10-30 s")
            }
        default:
            break
        }
        if response.status == 200 {
            try self.checkAuthorized(response)
            if response.isEventStream { try self.checkEventStream(response) }
        }
    }

    /// With tokens on, only `/healthz` answers 200 without the token.
    private func checkAuthorized(_ response: ScannedResponse) throws(FuzzViolation) {
        guard !self.scenario.server.tokens.isEmpty, !self.presentsToken else { return }
        let health = Array("{\"status\":\"ok\"}".utf8)
        let isHealth =
            response.body == health
            || (response.body == nil && response.header("content-length") == String(health.count)
                && response.header("content-type") == "application/json")
        if !isHealth { throw FuzzViolation("200 without the token") }
    }

    private func checkEventStream(_ response: ScannedResponse) throws(FuzzViolation) {
        if self.scenario.shedding {
            let body = response.body.map { String(decoding: $0, as: UTF8.self) } ?? ""
            let prefix = ": too many connections, reconnect later\nretry: "
            guard body.isEmpty || body.hasPrefix(prefix), body.isEmpty || body.hasSuffix("\n\n"),
                body.isEmpty || Int(body.dropFirst(prefix.count).dropLast(2)).map({ (10_000...30_000).contains($0) }) == true
            else {
                throw FuzzViolation("turned-away stream body \(String(reflecting: body))")
            }
            return
        }
        guard let resume = response.header("beacon-resume"), ["none", "reset", "resumed"].contains(resume) else {
            throw FuzzViolation("event stream without a valid Beacon-Resume")
        }
        guard response.header("cache-control") == "no-cache" else { throw FuzzViolation("event stream without no-cache") }
        if let body = response.body { try SSEBodyCheck.check(body) }
    }

    private static func contains(_ haystack: [UInt8], _ needle: [UInt8]) -> Bool {
        guard haystack.count >= needle.count else { return false }
        return (0...(haystack.count - needle.count)).contains { haystack[$0..<($0 + needle.count)].elementsEqual(needle) }
    }

    /// Every valid `%XX` escape decoded (once), the rest as is.
    private static func percentDecoded(_ bytes: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x25, index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                out.append(value)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return out
    }
}
