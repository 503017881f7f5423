public import LuaKit

/// A plugin's level: the level its latest run set with `beacon.status` (a failed run counts as
/// `unknown`, its error as summary), and since when that level has held.
public struct PluginLevel: Sendable, Equatable {
    /// nil when the latest run set no level.
    public var status: StatusLevel?
    public var summary: String?
    /// Unix seconds when `status` took its value; nil while nothing is known (no run since start
    /// and nothing remembered by the store).
    public var since: Double?

    /// Nothing known yet.
    public init() {}

    /// A level remembered from before (by the event store); the summary comes with the next run.
    public init(status: StatusLevel?, summary: String? = nil, since: Double) {
        self.status = status
        self.summary = summary
        self.since = since
    }

    /// A level as a store keeps it: the level's name (nil for none) and since when, in Unix ms.
    public init(storedStatus: String?, sinceMilliseconds: Int64) {
        self.init(status: storedStatus.flatMap(StatusLevel.init(rawValue:)), since: Double(sinceMilliseconds) / 1000)
    }

    /// The level's Nagios code (0 ok, 1 warning, 2 critical, 3 unknown), nil without a level.
    public var statusCode: Int? { status?.code }

    /// The level's name as a store keeps it.
    public var storedStatus: String? { status?.rawValue }

    /// `since` in Unix milliseconds, as a store keeps it.
    public var sinceMilliseconds: Int64? { since.map { Int64(($0 * 1000).rounded()) } }

    /// Takes the level of a run's outcome, at Unix time `time`. Returns the change to announce:
    /// none when the level is the same, nor for the first outcome while nothing was known.
    mutating func apply(_ report: StatusReport?, at time: Double) -> StatusChange? {
        defer { summary = report?.summary }
        guard let previousSince = since else {
            status = report?.level
            since = time
            return nil
        }
        guard report?.level != status else { return nil }
        let change = StatusChange(from: status, to: report?.level, since: previousSince)
        status = report?.level
        since = time
        return change
    }
}

/// A plugin's level changed: sent as event `status-change`.
struct StatusChange: Sendable, Equatable {
    /// The event name.
    static let eventName = "status-change"

    var from: StatusLevel?
    var to: StatusLevel?
    /// Unix seconds when `from` began: it held from then until this change.
    var since: Double

    /// `{"plugin","from","to","since","summary","result"}`; `result` is the run's data as sent
    /// (its result, or the `check-error` data of a failed run).
    func eventJSON(plugin: String, summary: String?, result: [UInt8]) -> [UInt8] {
        JSONText.object([
            ("plugin", JSONText.string(plugin)),
            ("from", from.map { JSONText.string($0.rawValue) } ?? JSONText.null),
            ("to", to.map { JSONText.string($0.rawValue) } ?? JSONText.null),
            ("since", JSONText.number(since)),
            ("summary", summary.map(JSONText.string) ?? JSONText.null),
            ("result", result),
        ])
    }
}
