import EventHub

/// What a request target asks for. Names are already percent-decoded and checked against
/// `[A-Za-z0-9_-]+`; anything else never reaches a plugin lookup.
enum Route: Equatable {
    case dashboard
    case health
    case cluster
    case metrics
    case plugins
    /// `/status`: every plugin's level.
    case status
    /// `/badge/NAME.svg`.
    case badge(String)
    case plugin(String)
    /// `/plugins/NAME/history`.
    case pluginHistory(String)
    case events(SubscriptionScope)
    /// `/plugins/X` or `/events/X` with a name that cannot be a plugin's (always a 404).
    case invalidName(String)
    /// `/events?plugin=…` naming some impossible names (always a 404); all the names asked.
    case invalidNames([String])
    case notFound(path: String)

    /// Splits a request target such as `/events?plugin=a&plugin=b` into its route and query.
    static func parse(target: String) -> (route: Route, query: RequestQuery) {
        let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        let query = RequestQuery(parts.count > 1 ? parts[1] : "")
        return (Route(path: parts.first ?? "", query: query), query)
    }

    init(path: Substring, query: RequestQuery) {
        switch path {
        case "/": self = .dashboard
        case "/healthz": self = .health
        case "/cluster": self = .cluster
        case "/metrics": self = .metrics
        case "/plugins": self = .plugins
        case "/status": self = .status
        case "/events":
            let asked = query.values(for: "plugin")
            if asked.isEmpty {
                self = .events(.all)
            } else {
                self = asked.allSatisfy(Route.isPluginName) ? .events(.streams(asked)) : .invalidNames(asked)
            }
        default:
            if let raw = Route.name(in: path, under: "/plugins/"), raw.hasSuffix("/history") {
                self = Route.checked(raw.dropLast("/history".count)) { .pluginHistory($0) }
            } else if let raw = Route.name(in: path, under: "/plugins/") {
                self = Route.checked(raw) { .plugin($0) }
            } else if let raw = Route.name(in: path, under: "/badge/"), raw.hasSuffix(".svg") {
                self = Route.checked(raw.dropLast(".svg".count)) { .badge($0) }
            } else if let raw = Route.name(in: path, under: "/events/") {
                self = Route.checked(raw) { .events(.stream($0)) }
            } else {
                self = .notFound(path: String(path))
            }
        }
    }

    private static func name(in path: Substring, under prefix: String) -> Substring? {
        guard path.hasPrefix(prefix) else { return nil }
        return path.dropFirst(prefix.utf8.count)
    }

    private static func checked(_ raw: Substring, _ make: (String) -> Route) -> Route {
        guard let name = PercentDecoding.decode(raw) else { return .invalidName(String(raw)) }
        return isPluginName(name) ? make(name) : .invalidName(name)
    }

    /// `[A-Za-z0-9_-]+`.
    static func isPluginName(_ name: String) -> Bool {
        !name.isEmpty
            && name.utf8.allSatisfy { byte in
                switch byte {
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "_"), UInt8(ascii: "-"):
                    return true
                default:
                    return false
                }
            }
    }
}
