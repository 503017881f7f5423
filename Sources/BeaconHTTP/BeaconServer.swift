public import EventHub
public import Logging

/// The HTTP/1.1 server: status endpoints, dashboard, and Server-Sent Event streams fed by a hub.
public final class BeaconServer: Sendable {
    let configuration: BeaconServerConfiguration
    let hub: EventHub
    let status: any StatusSource
    let logger: Logger

    /// Creates a server; nothing is bound until ``start()``.
    public init(configuration: BeaconServerConfiguration, hub: EventHub, status: any StatusSource, logger: Logger) {
        self.configuration = configuration
        self.hub = hub
        self.status = status
        self.logger = logger
    }

    /// Binds and starts accepting; returns the port actually bound.
    public func start() async throws -> Int { 0 }

    /// Stops accepting and closes every connection. Call `hub.shutdown` first so streams end with `done`.
    public func shutdown() async throws {}
}
