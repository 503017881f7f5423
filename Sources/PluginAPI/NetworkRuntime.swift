import AsyncHTTPClient
import NIOCore
import NIOPosix

/// The process-wide network machinery of the host functions, created on first use: one event
/// loop thread and two HTTP clients on it (redirects are a per-client setting in
/// AsyncHTTPClient, so one follows them and one does not). Never shut down: it lives as long as
/// the process, and the OS closes its sockets at exit.
final class NetworkRuntime: Sendable {
    /// The shared instance (a `static let`, so created lazily and exactly once).
    static let shared = NetworkRuntime()

    /// The most redirects followed by `http.get` / `http.request` unless `redirects=false`.
    static let maxRedirects = 5

    /// One thread: checks wait on their own queues, the loop only moves bytes.
    let group: MultiThreadedEventLoopGroup
    /// Follows up to `maxRedirects` redirects, refusing cycles.
    let following: HTTPClient
    /// Returns 3xx responses as they are.
    let direct: HTTPClient

    private init() {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        self.group = group
        self.following = HTTPClient(
            eventLoopGroup: group,
            configuration: Self.configuration(redirects: .follow(max: Self.maxRedirects, allowCycles: false))
        )
        self.direct = HTTPClient(eventLoopGroup: group, configuration: Self.configuration(redirects: .disallow))
    }

    private static func configuration(redirects: HTTPClient.Configuration.RedirectConfiguration)
        -> HTTPClient.Configuration
    {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(30))
        // Many plugins may check the same host at once: don't queue them behind 8 connections.
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = 64
        // A check reports the first failure (refused, DNS) instead of retrying until its timeout.
        pool.retryConnectionEstablishment = false
        return HTTPClient.Configuration(
            redirectConfiguration: redirects,
            connectionPool: pool,
            decompression: .disabled
        )
    }
}
