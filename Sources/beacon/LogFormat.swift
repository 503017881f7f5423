/// How log lines are written to standard error (`--log-format`).
enum LogFormat: String, CaseIterable, Sendable {
    /// swift-log's `StreamLogHandler` lines: `TIME LEVEL LABEL: METADATA [SOURCE] MESSAGE`.
    case text
    /// One JSON object per line: `time`, `level`, `label`, `message`, `metadata`.
    case json
}
