/// Limits and defaults of the host functions. Every timeout is further capped by the run's
/// deadline (`LuaHostCall.deadline`), so a host call never outlives the check that made it.
public struct PluginAPIConfiguration: Sendable {
    /// The default of ``maxConnectionsPerHost``.
    public static let defaultMaxConnectionsPerHost = 8

    /// Largest HTTP response body accepted, in bytes; a larger one is an error.
    public var maxBodyBytes: Int
    /// Largest stdout (and, separately, stderr) kept from `beacon.exec`; the rest is read and dropped.
    public var maxOutputBytes: Int
    /// Timeout of `beacon.http.*` when the plugin gives none, in seconds.
    public var defaultHTTPTimeout: Double
    /// Timeout of `beacon.tcp.connect` when the plugin gives none, in seconds.
    public var defaultTCPTimeout: Double
    /// Timeout of `beacon.exec` when the plugin gives none and the run has no deadline, in seconds
    /// (with a deadline, the default is the time the run has left).
    public var defaultExecTimeout: Double
    /// The most HTTP connections open to one host (scheme, host, port and TLS settings) at once
    /// (at least 1); further requests wait for a free connection within their own timeout.
    public var maxConnectionsPerHost: Int

    /// Creates a configuration: 4 MiB bodies, 1 MiB per output stream, 10 s for HTTP, 5 s for
    /// TCP, 60 s for a program run without a deadline, 8 connections per host.
    public init(
        maxBodyBytes: Int = 4 << 20,
        maxOutputBytes: Int = 1 << 20,
        defaultHTTPTimeout: Double = 10,
        defaultTCPTimeout: Double = 5,
        defaultExecTimeout: Double = 60,
        maxConnectionsPerHost: Int = Self.defaultMaxConnectionsPerHost
    ) {
        self.maxBodyBytes = maxBodyBytes
        self.maxOutputBytes = maxOutputBytes
        self.defaultHTTPTimeout = defaultHTTPTimeout
        self.defaultTCPTimeout = defaultTCPTimeout
        self.defaultExecTimeout = defaultExecTimeout
        self.maxConnectionsPerHost = maxConnectionsPerHost
    }
}
