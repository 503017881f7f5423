import FoundationEssentials

/// The JSON body of an error response: `error` says what went wrong, the other members (only
/// those set are written) say about what.
struct ErrorBody: Encodable {
    var error: String
    var plugin: String?
    var plugins: [String]?
    var path: String?
    var routes: [String]?
    var method: String?
    var allow: [String]?
    var reason: String?
    var limitBytes: Int?

    private enum CodingKeys: String, CodingKey {
        case error, plugin, plugins, path, routes, method, allow, reason
        case limitBytes = "limit_bytes"
    }

    init(
        _ error: String, plugin: String? = nil, plugins: [String]? = nil, path: String? = nil,
        routes: [String]? = nil, method: String? = nil, allow: [String]? = nil, reason: String? = nil,
        limitBytes: Int? = nil
    ) {
        self.error = error
        self.plugin = plugin
        self.plugins = plugins
        self.path = path
        self.routes = routes
        self.method = method
        self.allow = allow
        self.reason = reason
        self.limitBytes = limitBytes
    }

    /// Compact JSON, members in name order, `/` not escaped.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Strings, string arrays and integers always encode.
        return (try? encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? #"{"error":"internal error"}"#
    }

    static func unknownPlugin(_ name: String) -> String { ErrorBody("unknown plugin", plugin: name).json }

    static func unknownPlugins(_ names: [String]) -> String { ErrorBody("unknown plugin", plugins: names).json }

    static func notFound(path: String) -> String {
        ErrorBody("not found", path: path, routes: routes).json
    }

    /// The routes a 404 lists.
    static let routes = [
        "/", "/healthz", "/plugins", "/plugins/NAME", "/plugins/NAME/history", "/status", "/badge/NAME.svg",
        "/events", "/events/NAME",
    ]

    static func methodNotAllowed(_ method: String) -> String {
        ErrorBody("method not allowed", method: method, allow: ["GET", "HEAD", "OPTIONS"]).json
    }

    static func badRequest(_ reason: String) -> String { ErrorBody("bad request", reason: reason).json }

    static func storeUnavailable(_ reason: String) -> String { ErrorBody("event store unavailable", reason: reason).json }

    static let shuttingDown = ErrorBody("server is shutting down").json

    static func tooLarge(_ what: String, limit: Int) -> String { ErrorBody(what, limitBytes: limit).json }

    static let requestTimeout = ErrorBody("request not received in time").json

    static let tooManyConnections = ErrorBody("too many connections").json

    static func unauthorized(_ reason: String) -> String { ErrorBody("unauthorized", reason: reason).json }
}
