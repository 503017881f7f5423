import BeaconHTTP
import NIOConcurrencyHelpers

/// Status JSON for a few known plugins; remembers every name it was asked about.
final class RecordingStatus: StatusSource {
    static let known = ["a", "b", "cpu-load", "disk_1"]

    private let asked = NIOLockedValueBox<[String]>([])

    /// Every name `pluginJSON(named:)` was called with, in order.
    var askedNames: [String] { self.asked.withLockedValue { $0 } }

    func pluginsJSON() -> [UInt8] {
        Array("[{\"name\":\"a\"},{\"name\":\"b\"},{\"name\":\"cpu-load\"},{\"name\":\"disk_1\"}]".utf8)
    }

    func pluginJSON(named name: String) -> [UInt8]? {
        self.asked.withLockedValue { $0.append(name) }
        return Self.known.contains(name) ? Array("{\"name\":\"\(name)\"}".utf8) : nil
    }

    func metricsText() -> [UInt8]? {
        Array("# TYPE beacon_up gauge\nbeacon_up 1\n".utf8)
    }
}
