/// A plugin's entry in `GET /plugins` and `GET /plugins/NAME` (snake_case keys; absent values
/// are `null`, except the members listed as omitted).
public struct PluginStatus: Encodable, Sendable {
    /// What a running plugin reports; nil for one that failed to load (its entry then has only
    /// `name`, `state`, `load_error` and the level).
    public struct Runs: Sendable {
        public var schedule: Double
        public var timeout: Double
        public var runs: Int
        public var failures: Int
        public var skippedTicks: Int
        public var lastEvent: String?
        public var lastResult: JSONValue?
        public var lastError: ErrorInfo?
        public var lastRunAt: Double?
        public var luaMemoryBytes: Int
        public var lastDurationMilliseconds: Double?
        public var lastStartLagMilliseconds: Double?
        /// Omitted when 0.
        public var jitter: Double
        /// Both omitted unless the plugin is backing off.
        public var backoffSecondsLeft: Double?
        public var consecutiveTimeouts: Int?
    }

    /// `last_error` (with `at`, Unix seconds) and `load_error` (without).
    public struct ErrorInfo: Encodable, Sendable {
        public var kind: String
        public var message: String
        public var at: Double?

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: Key.self)
            try container.encode(kind, forKey: .kind)
            try container.encode(message, forKey: .message)
            if at != nil { try container.encode(at, forKey: .at) }
        }

        private enum Key: String, CodingKey { case kind, message, at }
    }

    public var name: String
    /// `idle`, `queued`, `running`, `stuck`, `backoff`, or `failed` (never loaded).
    public var state: String
    public var runs: Runs?
    /// A new version that failed to load while the previous one runs, or why the plugin never
    /// loaded; omitted otherwise.
    public var loadError: ErrorInfo?
    /// `status` (the level or null), `summary`, `status_since` (Unix seconds).
    public var level: PluginLevel

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(name, forKey: .name)
        if let runs {
            try container.encode(runs.schedule, forKey: .schedule)
            try container.encode(runs.timeout, forKey: .timeout)
        }
        try container.encode(state, forKey: .state)
        try container.encode(level.status, forKey: .status)
        try container.encode(level.summary, forKey: .summary)
        try container.encode(level.since, forKey: .statusSince)
        if let runs {
            try container.encode(runs.runs, forKey: .runs)
            try container.encode(runs.failures, forKey: .failures)
            try container.encode(runs.skippedTicks, forKey: .skippedTicks)
            try container.encode(runs.lastEvent, forKey: .lastEvent)
            try container.encode(runs.lastResult, forKey: .lastResult)
            try container.encode(runs.lastError, forKey: .lastError)
            try container.encode(runs.lastRunAt, forKey: .lastRunAt)
            try container.encode(runs.luaMemoryBytes, forKey: .luaMemoryBytes)
            try container.encode(runs.lastDurationMilliseconds, forKey: .lastDurationMilliseconds)
            try container.encode(runs.lastStartLagMilliseconds, forKey: .lastStartLagMilliseconds)
            if runs.jitter > 0 { try container.encode(runs.jitter, forKey: .jitter) }
            try container.encodeIfPresent(runs.backoffSecondsLeft, forKey: .backoffSecondsLeft)
            try container.encodeIfPresent(runs.consecutiveTimeouts, forKey: .consecutiveTimeouts)
        }
        try container.encodeIfPresent(loadError, forKey: .loadError)
    }

    private enum Key: String, CodingKey {
        case name, schedule, timeout, state, status, summary
        case statusSince = "status_since"
        case runs, failures
        case skippedTicks = "skipped_ticks"
        case lastEvent = "last_event"
        case lastResult = "last_result"
        case lastError = "last_error"
        case lastRunAt = "last_run_at"
        case luaMemoryBytes = "lua_memory_bytes"
        case lastDurationMilliseconds = "last_duration_ms"
        case lastStartLagMilliseconds = "last_start_lag_ms"
        case jitter
        case backoffSecondsLeft = "backoff_seconds_left"
        case consecutiveTimeouts = "consecutive_timeouts"
        case loadError = "load_error"
    }
}
