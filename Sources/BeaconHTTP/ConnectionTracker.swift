import NIOConcurrencyHelpers
import EventHub
import NIOCore

/// The server's open connections, so ``BeaconServer/shutdown()`` can close them.
final class ConnectionTracker: Sendable {
    private let open = NIOLockedValueBox([ObjectIdentifier: any Channel]())

    func track(_ channel: any Channel) {
        let key = ObjectIdentifier(channel)
        self.open.withLockedValue { $0[key] = channel }
        channel.closeFuture.whenComplete { _ in
            _ = self.open.withLockedValue { $0.removeValue(forKey: key) }
        }
    }

    var channels: [any Channel] { self.open.withLockedValue { Array($0.values) } }
}
