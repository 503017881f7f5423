import AsyncHTTPClient
import NIOCore
import NIOPosix
import Synchronization

/// The process-wide network machinery of the host functions: one event loop thread, created on
/// first use, and two HTTP clients on it per connection limit (redirects are a per-client
/// setting in AsyncHTTPClient, so one client follows them and one does not). Never shut down: it
/// lives as long as the process, and the OS closes its sockets at exit.
final class NetworkRuntime: Sendable {
    /// The most redirects followed by `http.get` / `http.request` unless `redirects=false`.
    static let maxRedirects = 5

    /// One thread for every socket and timer of the host functions: it only moves bytes and
    /// fires timers, and never waits.
    static let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// The runtimes made so far, by per-host connection limit. A server has one configuration,
    /// hence one runtime; tests with other limits get their own clients on the same thread.
    private static let runtimes = Mutex<[Int: NetworkRuntime]>([:])

    /// Follows up to `maxRedirects` redirects, refusing cycles.
    let following: HTTPClient
    /// Returns 3xx responses as they are.
    let direct: HTTPClient

    /// The runtime whose clients open at most `configuration.maxConnectionsPerHost` connections to
    /// one host (scheme, host, port and TLS settings) at a time.
    static func shared(for configuration: PluginAPIConfiguration) -> NetworkRuntime {
        let limit = max(1, configuration.maxConnectionsPerHost)
        return runtimes.withLock { runtimes in
            if let runtime = runtimes[limit] { return runtime }
            let runtime = NetworkRuntime(maxConnectionsPerHost: limit)
            runtimes[limit] = runtime
            return runtime
        }
    }

    private init(maxConnectionsPerHost: Int) {
        let follow = HTTPClient.Configuration.RedirectConfiguration.follow(max: Self.maxRedirects, allowCycles: false)
        self.following = HTTPClient(
            eventLoopGroup: Self.group,
            configuration: Self.configuration(redirects: follow, maxConnectionsPerHost: maxConnectionsPerHost))
        self.direct = HTTPClient(
            eventLoopGroup: Self.group,
            configuration: Self.configuration(redirects: .disallow, maxConnectionsPerHost: maxConnectionsPerHost))
    }

    private static func configuration(
        redirects: HTTPClient.Configuration.RedirectConfiguration, maxConnectionsPerHost: Int
    ) -> HTTPClient.Configuration {
        var pool = HTTPClient.Configuration.ConnectionPool(idleTimeout: .seconds(30))
        // Requests beyond the limit wait in the client's queue, within their own deadline.
        pool.concurrentHTTP1ConnectionsPerHostSoftLimit = maxConnectionsPerHost
        // A check reports the first failure (refused, DNS) instead of retrying until its timeout.
        pool.retryConnectionEstablishment = false
        return HTTPClient.Configuration(
            redirectConfiguration: redirects,
            connectionPool: pool,
            decompression: .disabled
        )
    }
}
