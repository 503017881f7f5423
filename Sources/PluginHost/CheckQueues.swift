import Dispatch
import Synchronization

/// The few serial queues every plugin queue targets, one per core: the plugin side runs Lua on at
/// most that many threads at once, and a plugin's runs stay serial on its own queue.
///
/// A run stuck in a C call no hook can interrupt holds its shared queue's thread. Its queue is then
/// replaced in the set (``replace(_:)``) and the other plugins that targeted it move to the new one,
/// so they keep their cadence; the stuck plugin alone stays behind until its call returns.
final class CheckQueues: Sendable {
    private let queues: Mutex<[DispatchQueue]>
    private let made = Atomic<Int>(0)

    /// `count` queues (at least one).
    init(count: Int) {
        let count = max(1, count)
        queues = Mutex((0..<count).map { DispatchQueue(label: "beacon.checks.\($0)") })
        made.store(count, ordering: .relaxed)
    }

    /// The shared queue for plugin `name` (the same name always gets the same slot).
    func target(for name: String) -> DispatchQueue {
        queues.withLock { $0[Self.slot(of: name, count: $0.count)] }
    }

    /// Puts a new queue in the place of `stuck`; false when it was replaced already.
    func replace(_ stuck: DispatchQueue) -> Bool {
        let number = made.add(1, ordering: .relaxed).newValue
        return queues.withLock { queues in
            guard let index = queues.firstIndex(where: { $0 === stuck }) else { return false }
            queues[index] = DispatchQueue(label: "beacon.checks.\(number - 1)")
            return true
        }
    }

    /// FNV-1a of the name, so slots do not depend on the order plugins load in.
    private static func slot(of name: String, count: Int) -> Int {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return Int(hash % UInt64(count))
    }
}
