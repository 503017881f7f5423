/// The level a run sets with `beacon.status(level [, summary])`: the levels of Nagios and Sensu.
public enum StatusLevel: String, Sendable, CaseIterable, Codable, Comparable {
    case ok, warning, critical, unknown

    /// Nagios' exit code of the level: 0 ok, 1 warning, 2 critical, 3 unknown (also the value of
    /// `beacon_plugin_status` in `/metrics`).
    public var code: Int {
        switch self {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }

    /// How bad the level is, for "worst" and for sorting: ok < warning < unknown < critical (a
    /// check that could not tell may hide a failure, so unknown ranks above warning).
    public var severity: Int {
        switch self {
        case .ok: 0
        case .warning: 1
        case .unknown: 2
        case .critical: 3
        }
    }

    public static func < (lhs: StatusLevel, rhs: StatusLevel) -> Bool { lhs.severity < rhs.severity }

    /// `"ok", "warning", "critical" or "unknown"`, for messages.
    public static var allowedList: String {
        let quoted = allCases.map { "\"\($0.rawValue)\"" }
        return quoted.dropLast().joined(separator: ", ") + " or " + (quoted.last ?? "")
    }
}
