import NIOCore

/// Everything one `load` run needs, already checked.
struct LoadSettings: Sendable {
    /// The streams to subscribe to, round-robin.
    var urls: [LoopbackURL]
    /// How many subscribers to open.
    var connections: Int
    /// New connections per second.
    var ramp: Double
    /// Local addresses to bind, round-robin; empty: let the kernel choose.
    var sources: [SocketAddress]
    /// Seconds a dial has to connect and receive its response head.
    var connectTimeout: Double
    /// Seconds of the measurement window.
    var duration: Double
    /// Open the window when the first dial goes out, instead of once every dial has resolved.
    var measureDuringRamp: Bool
    /// What the subscribers share.
    var subscriber: SubscriberHandler.Settings
    /// Server processes to sample for CPU and memory.
    var pids: [Int32]
    /// Event loops (threads) of the subscribers.
    var threads: Int

    /// The longest a run waits for its dials before it opens the window anyway.
    var dialLimitSeconds: Double { Double(connections) / ramp + connectTimeout + 10 }
}
