/// Runs of one plugin not yet handed to swift-metrics.
///
/// A backend's counter, histogram and gauge per plugin are cold in the cache by the time the same
/// plugin runs again when there are many plugins, so they are updated in batches: runs gather
/// here (under the runner's lock, which a run takes anyway) and are handed over together once the
/// oldest is ``maximumAge`` old, by the next run or by the host's watchdog, so `/metrics` is at
/// most about a second and a quarter behind.
struct UnreportedRuns {
    /// How long a run may wait before it is reported, in nanoseconds.
    static let maximumAge: UInt64 = 1_000_000_000

    private(set) var durations: [Int64] = []
    /// How long each run waited to start after it was due.
    private(set) var startLags: [Int64] = []
    /// Monotonic time of the oldest run waiting.
    private var oldest: UInt64 = 0

    var isEmpty: Bool { durations.isEmpty && startLags.isEmpty }

    mutating func add(durationNanoseconds: Int64, at now: UInt64) {
        if isEmpty { oldest = now }
        durations.append(durationNanoseconds)
    }

    mutating func add(startLagNanoseconds: Int64, at now: UInt64) {
        if isEmpty { oldest = now }
        startLags.append(startLagNanoseconds)
    }

    /// Whether the oldest run waiting has waited ``maximumAge`` by `now`.
    func isDue(at now: UInt64) -> Bool {
        !isEmpty && now &- oldest >= Self.maximumAge
    }

    /// Forgets the runs waiting, keeping the space for the next ones.
    mutating func removeAll() {
        durations.removeAll(keepingCapacity: true)
        startLags.removeAll(keepingCapacity: true)
    }
}
