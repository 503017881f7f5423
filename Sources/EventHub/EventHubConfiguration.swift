/// Tunables of an ``EventHub``, set once from the command line.
public struct EventHubConfiguration: Sendable {
    /// How many events each stream keeps for resuming clients (`--history`).
    public var historyLimit: Int = 100
    /// Reconnection delay sent as `retry:` first on every stream (`--retry-ms`).
    public var retryMilliseconds: Int = 3000
    /// Interval of the `: keep-alive` comment on every stream (`--heartbeat`).
    public var heartbeatSeconds: Double = 15

    /// Creates a configuration; every value has the command line's default.
    public init(historyLimit: Int = 100, retryMilliseconds: Int = 3000, heartbeatSeconds: Double = 15) {
        self.historyLimit = historyLimit
        self.retryMilliseconds = retryMilliseconds
        self.heartbeatSeconds = heartbeatSeconds
    }
}
