import EventHub

/// The small JSON bodies of error responses.
enum ErrorBody {
    static func unknownPlugin(_ name: String) -> String {
        "{\"error\":\"unknown plugin\",\"plugin\":\(JSONText.quoted(name))}"
    }

    static func unknownPlugins(_ names: [String]) -> String {
        "{\"error\":\"unknown plugin\",\"plugins\":\(JSONText.array(names))}"
    }

    static func notFound(path: String) -> String {
        "{\"error\":\"not found\",\"path\":\(JSONText.quoted(path)),\"routes\":[\"/\",\"/healthz\",\"/plugins\",\"/plugins/NAME\",\"/plugins/NAME/history\",\"/events\",\"/events/NAME\"]}"
    }

    static func methodNotAllowed(_ method: String) -> String {
        "{\"error\":\"method not allowed\",\"method\":\(JSONText.quoted(method)),\"allow\":[\"GET\",\"HEAD\",\"OPTIONS\"]}"
    }

    static func badRequest(_ reason: String) -> String {
        "{\"error\":\"bad request\",\"reason\":\(JSONText.quoted(reason))}"
    }

    static func storeUnavailable(_ reason: String) -> String {
        "{\"error\":\"event store unavailable\",\"reason\":\(JSONText.quoted(reason))}"
    }

    static let shuttingDown = "{\"error\":\"server is shutting down\"}"

    static func tooLarge(_ what: String, limit: Int) -> String {
        "{\"error\":\(JSONText.quoted(what)),\"limit_bytes\":\(limit)}"
    }

    static let requestTimeout = "{\"error\":\"request not received in time\"}"

    static let tooManyConnections = "{\"error\":\"too many connections\"}"

    static func unauthorized(_ reason: String) -> String {
        "{\"error\":\"unauthorized\",\"reason\":\(JSONText.quoted(reason))}"
    }
}
