@testable import BeaconHTTP
@testable import EventHub
import Logging
import NIOCore
import NIOEmbedded

/// One connection on an `EmbeddedChannel` with the pipeline the server builds for a socket
/// (head guard, HTTP decoder and encoder, header validator, router), a small hub and a status
/// source that records every name it is asked about.
final class RoutingConnection {
    /// Streams a request may name.
    static let streams = RecordingStatus.known
    /// Streams no request can reach by name: a subscription to one by name means a name that
    /// is not `[A-Za-z0-9_-]+` got through to the hub.
    static let decoys = ["..", "../a", "a/b", "/", "a\u{0}b", "%2e%2e", "é", "a b", ".", "a.b"]

    let scenario: RoutingScenario
    let hub: EventHub
    let status = RecordingStatus()
    let channel = EmbeddedChannel()
    /// Everything written to the socket so far.
    private(set) var output: [UInt8] = []
    /// The connection closed: later writes would fail on a socket, so they are dropped.
    private var closed = false

    init(_ scenario: RoutingScenario) throws(FuzzViolation) {
        self.scenario = scenario
        // Fixed ids (the first is 1), so `Last-Event-ID: 2` resumes and corpus files stay meaningful.
        self.hub = EventHub(configuration: EventHubConfiguration(historyLimit: 4), idBase: 1)
        for name in Self.streams + Self.decoys { self.hub.addStream(name) }
        for n in 1...3 { self.hub.publish(stream: "a", event: "a", json: Array("{\"n\":\(n)}".utf8)) }
        self.hub.publish(stream: "b", event: "b.custom", json: Array("[1,\"two\",null]".utf8))
        for name in Self.decoys { self.hub.publish(stream: name, event: "decoy", json: Array("{\"decoy\":true}".utf8)) }

        let limits = RequestHeadGuard.Limits(scenario.server)
        let settings = RouterSettings(
            hub: self.hub, status: self.status, cors: CORSPolicy(origins: scenario.server.corsOrigins),
            logger: Logger(label: "fuzz", factory: { _ in SwiftLogNoOpLogHandler() }),
            auth: TokenAuthenticator(tokens: scenario.server.tokens),
            headLimitBytes: limits.requestLineBytes + limits.headerBytes)
        do {
            try BeaconServer.configure(self.channel, settings: settings, limits: limits, shedding: scenario.shedding).wait()
            let observer = CloseObserver { [weak self] in
                guard let self else { return }
                self.collect()
                self.closed = true
            }
            try self.channel.pipeline.syncOperations.addHandler(observer, position: .first)
            try self.channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 40_000)).wait()
        } catch {
            throw FuzzViolation("setting up the pipeline failed: \(error)")
        }
    }

    /// Delivers one read from the client; false once the connection is closed (a real socket
    /// would not deliver more).
    func receive(_ bytes: [UInt8]) -> Bool {
        guard self.channel.isActive else { return false }
        // Errors that reach the end of the pipeline are rethrown here; the invariants judge what
        // was written, so they are not failures by themselves.
        _ = try? self.channel.writeInbound(ByteBuffer(bytes: bytes))
        self.collect()
        return self.channel.isActive
    }

    /// What happens after the client stops sending: live events, the header timeout, a
    /// heartbeat, the hub shutting down.
    func afterInput() {
        self.hub.publish(stream: "a", event: "a", json: Array("{\"n\":4,\"text\":\"line\\nbreak\"}".utf8))
        for name in Self.decoys { self.hub.publish(stream: name, event: "decoy", json: Array("{\"decoy\":true}".utf8)) }
        self.channel.embeddedEventLoop.run()
        self.collect()
        self.channel.embeddedEventLoop.advanceTime(by: .seconds(16))
        self.collect()
        self.hub.shutdown(reason: .shutdown)
        self.channel.embeddedEventLoop.run()
        self.collect()
    }

    /// Names the hub's fan-out routes to this connection by name (`/events/NAME` or `?plugin=`).
    var subscribedNames: [String] {
        self.hub.registry.withLockedValue { $0.fanouts }.flatMap { $0.interest.byStream.keys }
    }

    /// Closes the connection as the client would, and lets the loop finish its work.
    func close() {
        _ = try? self.channel.finish(acceptAlreadyClosed: true)
        self.collect()
        self.channel.embeddedEventLoop.run()
    }

    private func collect() {
        while let buffer = try? self.channel.readOutbound(as: ByteBuffer.self) {
            if !self.closed { self.output += buffer.readableBytesView }
        }
    }
}
