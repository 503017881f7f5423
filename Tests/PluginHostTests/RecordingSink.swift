import Foundation
import PluginHost
import Synchronization

/// A sink that records what the host sends, for tests.
final class RecordingSink: PluginEventSink {
    struct Published: Sendable {
        var plugin: String
        var event: String
        var json: String
        /// The plugin's level once the event was published (nil: none, or sent without one).
        var status: String?
        /// Unix seconds since when it holds.
        var since: Double?
    }

    private let state = Mutex<(added: [String], published: [Published], removed: [(String, PluginRemoval)])>(([], [], []))

    func pluginAdded(_ name: String) { state.withLock { $0.added.append(name) } }

    func publish(plugin name: String, event: String, json: [UInt8]) {
        state.withLock { $0.published.append(Published(plugin: name, event: event, json: String(decoding: json, as: UTF8.self))) }
    }

    func publish(plugin name: String, event: String, json: [UInt8], level: PluginLevel) {
        let published = Published(
            plugin: name, event: event, json: String(decoding: json, as: UTF8.self), status: level.storedStatus,
            since: level.since)
        state.withLock { $0.published.append(published) }
    }

    func pluginRemoved(_ name: String, reason: PluginRemoval) { state.withLock { $0.removed.append((name, reason)) } }

    var added: [String] { state.withLock { $0.added } }
    var removed: [(String, PluginRemoval)] { state.withLock { $0.removed } }
    func published(_ plugin: String) -> [Published] { state.withLock { $0.published.filter { $0.plugin == plugin } } }

    /// Waits until `plugin` has been removed (a removed plugin's end is sent from its own queue,
    /// after the result of a run that was ending).
    func waitForRemoval(of plugin: String, seconds: Double = 10) -> PluginRemoval? {
        let deadline = Date().addingTimeInterval(seconds)
        while !removed.contains(where: { $0.0 == plugin }), Date() < deadline { usleep(5_000) }
        return removed.first { $0.0 == plugin }?.1
    }

    /// Waits until `plugin` has published at least `count` events.
    func wait(for plugin: String, count: Int, seconds: Double = 10) -> [Published] {
        let deadline = Date().addingTimeInterval(seconds)
        while published(plugin).count < count, Date() < deadline { usleep(5_000) }
        return published(plugin)
    }
}

/// A temp plugins folder.
struct TempFolder {
    let path: String

    init() throws {
        path = NSTemporaryDirectory() + "beacon-host-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    func write(_ name: String, _ source: String) throws {
        try source.write(toFile: path + "/" + name, atomically: true, encoding: .utf8)
    }

    func delete() { try? FileManager.default.removeItem(atPath: path) }
}
