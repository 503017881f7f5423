import LuaKit

/// The arguments of `beacon.http.get(url [, opts])` and `beacon.http.request{...}`, checked.
struct HTTPRequestSpec {
    static let getOptions: Set<String> = ["headers", "timeout", "redirects", "tls"]
    static let requestOptions: Set<String> = ["method", "url", "headers", "body", "timeout", "redirects", "tls"]

    var method = "GET"
    var url: String
    /// Request headers in the order given.
    var headers: [(String, String)] = []
    var body: [UInt8]?
    /// Seconds for the whole exchange (nil: the configured default), capped by the run's deadline.
    var timeout: Double?
    /// Follow up to `NetworkRuntime.maxRedirects` redirects (`redirects=false` turns it off).
    var followRedirects = true
    /// How the server's certificate is checked (nil: against the system's store).
    var tls: TLSOptions?

    private init(url: String) {
        self.url = url
    }

    /// `beacon.http.get(url [, {headers=, timeout=, redirects=, tls=}])`.
    static func get(_ arguments: [LuaValue]) throws(HostArgumentError) -> HTTPRequestSpec {
        let function = "beacon.http.get"
        guard let url = arguments.argument(0).stringValue else {
            throw HostArgumentError(function, "url must be a string")
        }
        var spec = HTTPRequestSpec(url: url)
        let options = arguments.argument(1)
        if options.isNil { return spec }
        try spec.readOptions(options, allowed: getOptions, function: function, shape: "{headers=, timeout=, redirects=, tls=}")
        return spec
    }

    /// `beacon.http.request{method=, url=, headers=, body=, timeout=, redirects=, tls=}`.
    static func request(_ arguments: [LuaValue]) throws(HostArgumentError) -> HTTPRequestSpec {
        let function = "beacon.http.request"
        let shape = "{method=, url=, headers=, body=, timeout=, redirects=, tls=}"
        let options = arguments.argument(0)
        guard case .table = options else {
            throw HostArgumentError(function, "expects a table \(shape)")
        }
        guard let url = options[field: "url"].stringValue else {
            throw HostArgumentError(function, "url must be a string")
        }
        var spec = HTTPRequestSpec(url: url)
        try spec.readOptions(options, allowed: requestOptions, function: function, shape: shape)
        switch options[field: "method"] {
        case .nil: break
        case .string(let method) where Self.isToken(method):
            spec.method = method.uppercased()
        default:
            throw HostArgumentError(function, "method must be a string such as \"POST\"")
        }
        let body = options[field: "body"]
        if !body.isNil {
            guard let bytes = body.payloadBytes else { throw HostArgumentError(function, "body must be a string") }
            spec.body = bytes
        }
        return spec
    }

    private mutating func readOptions(
        _ options: LuaValue, allowed: Set<String>, function: String, shape: String
    ) throws(HostArgumentError) {
        guard case .table(let items, let fields) = options, items.isEmpty else {
            throw HostArgumentError(function, "options must be a table \(shape)")
        }
        for field in fields where !allowed.contains(field.key) {
            throw HostArgumentError(function, "unknown option '\(field.key)'")
        }
        timeout = try CallBudget.timeoutArgument(options[field: "timeout"], function: function)
        switch options[field: "redirects"] {
        case .nil: break
        case .boolean(let follow): followRedirects = follow
        default: throw HostArgumentError(function, "redirects must be true or false")
        }
        headers = try Self.headers(options[field: "headers"], function: function)
        tls = try TLSOptions(options[field: "tls"], function: function)
    }

    private static func headers(_ value: LuaValue, function: String) throws(HostArgumentError) -> [(String, String)] {
        if value.isNil { return [] }
        let problem = "headers must be a table of strings {[\"Name\"]=\"value\"}"
        guard case .table(let items, let fields) = value, items.isEmpty else {
            throw HostArgumentError(function, problem)
        }
        var result: [(String, String)] = []
        for field in fields {
            let text: String
            switch field.value {
            case .string(let value): text = value
            case .integer(let value): text = String(value)
            default: throw HostArgumentError(function, problem)
            }
            guard isToken(field.key), !text.contains(where: { $0 == "\r" || $0 == "\n" || $0 == "\0" }) else {
                throw HostArgumentError(function, "invalid header '\(field.key)'")
            }
            result.append((field.key, text))
        }
        return result
    }

    /// An HTTP token (RFC 9110): method and header names.
    private static func isToken(_ text: String) -> Bool {
        !text.isEmpty && text.utf8.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"):
                return true
            default:
                return "!#$%&'*+-.^_`|~".utf8.contains(byte)
            }
        }
    }

    /// Why `url` is not an http(s) URL, or nil. The rest of the parsing is AsyncHTTPClient's.
    var urlProblem: String? {
        let lower = url.lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            return "bad URL '\(url)': must start with http:// or https://"
        }
        return nil
    }
}
