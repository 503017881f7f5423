import Logging
import NIOConcurrencyHelpers
import NIOCore

/// The server's open connections: admission against the connection limits, and the list
/// ``BeaconServer/shutdown()`` closes. One lock round per connection opened and closed; nothing
/// per request or event.
final class ConnectionTracker: Sendable {
    /// What happens to a new connection.
    enum Admission: Equatable {
        /// Under the limits: served normally.
        case serve
        /// Over a limit: its request is answered with "come back later" and it is closed.
        case shed
        /// Over a limit while too many shed connections are still open: closed at once, unanswered.
        case drop
    }

    private struct State {
        var open: [ObjectIdentifier: any Channel] = [:]
        var served = 0
        var shedding = 0
        var perIP: [String: Int] = [:]
        var rejected = 0
        var rejectedSinceLog = 0
        var lastLog: NIODeadline?
    }

    private let state = NIOLockedValueBox(State())
    private let maxConnections: Int
    private let maxPerIP: Int
    /// Shed connections waiting for their answer at most; each holds a descriptor for up to the
    /// header timeout, so they are capped too.
    let maxShedding: Int
    private let logger: Logger

    init(maxConnections: Int, maxPerIP: Int, logger: Logger) {
        self.maxConnections = max(0, maxConnections)
        self.maxPerIP = max(0, maxPerIP)
        self.maxShedding = max(64, self.maxConnections / 10)
        self.logger = logger
    }

    /// Decides on `channel` and, unless it is dropped, tracks it until it closes.
    func admit(_ channel: any Channel) -> Admission {
        let key = ObjectIdentifier(channel)
        let ip = self.maxPerIP > 0 ? channel.remoteAddress?.ipAddress : nil
        let (admission, report) = self.state.withLockedValue { state -> (Admission, (Int, String)?) in
            let overTotal = self.maxConnections > 0 && state.served >= self.maxConnections
            let overIP = ip.map { state.perIP[$0, default: 0] >= self.maxPerIP } ?? false
            if !overTotal && !overIP {
                state.served += 1
                if let ip { state.perIP[ip, default: 0] += 1 }
                state.open[key] = channel
                return (.serve, nil)
            }
            state.rejected += 1
            state.rejectedSinceLog += 1
            let admission: Admission
            if state.shedding < self.maxShedding {
                state.shedding += 1
                state.open[key] = channel
                admission = .shed
            } else {
                admission = .drop
            }
            // One log line at most every 10 s, however hard the storm.
            let now = NIODeadline.now()
            guard state.lastLog.map({ now - $0 >= .seconds(10) }) ?? true else { return (admission, nil) }
            state.lastLog = now
            defer { state.rejectedSinceLog = 0 }
            return (admission, (state.rejectedSinceLog, overTotal ? "max-connections" : "max-connections-per-ip"))
        }
        if let (count, limit) = report {
            self.logger.warning(
                "connection limit reached (\(limit)): \(count) connection(s) turned away since the last report",
                metadata: ["rejected_total": "\(self.rejectedConnections)"])
        }
        guard admission != .drop else { return .drop }
        channel.closeFuture.whenComplete { _ in
            self.state.withLockedValue { state in
                guard state.open.removeValue(forKey: key) != nil else { return }
                switch admission {
                case .serve:
                    state.served -= 1
                    if let ip {
                        let left = state.perIP[ip, default: 1] - 1
                        state.perIP[ip] = left > 0 ? left : nil
                    }
                case .shed, .drop:
                    state.shedding -= 1
                }
            }
        }
        return admission
    }

    var channels: [any Channel] { self.state.withLockedValue { Array($0.open.values) } }

    /// Connections being served now (not counting those being turned away).
    var servedCount: Int { self.state.withLockedValue { $0.served } }

    /// Connections turned away (answered "later" or dropped) since the start.
    var rejectedConnections: Int { self.state.withLockedValue { $0.rejected } }
}

/// Thrown from the channel initializer to have NIO close a dropped connection.
struct ConnectionDropped: Error {}
