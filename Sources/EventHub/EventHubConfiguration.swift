/// Tunables of an ``EventHub``, set once from the command line.
public struct EventHubConfiguration: Sendable {
    /// How many events each stream keeps for resuming clients (`--history`).
    public var historyLimit: Int = 100
    /// Reconnection delay sent as `retry:` first on every stream (`--retry-ms`).
    public var retryMilliseconds: Int = 3000
    /// Interval of the `: keep-alive` comment on every stream (`--heartbeat`); 0 sends none.
    public var heartbeatSeconds: Double = 15
    /// Seconds a subscriber's connection may stay unwritable (its client is not reading what it is
    /// sent) before it is disconnected (`--stall-timeout`); 0 never disconnects. Checked on each
    /// event loop's heartbeat tick, so a stalled client is cut after between this and 1.5 times this.
    public var stallTimeout: Double = 30

    /// Creates a configuration; every value has the command line's default.
    public init(
        historyLimit: Int = 100, retryMilliseconds: Int = 3000, heartbeatSeconds: Double = 15, stallTimeout: Double = 30
    ) {
        self.historyLimit = historyLimit
        self.retryMilliseconds = retryMilliseconds
        self.heartbeatSeconds = heartbeatSeconds
        self.stallTimeout = stallTimeout
    }
}
