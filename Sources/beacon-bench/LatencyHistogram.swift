/// Latencies in microseconds, counted in log-linear buckets: exact below 256 µs, within 0.8%
/// above, in constant memory (about 35 KiB) however many events a run sees.
///
/// One histogram per event loop; they are merged once at the end of a window.
struct LatencyHistogram: Sendable {
    private static let linear = 256  // values below this have a bucket each
    private static let perOctave = 128  // buckets per power of two above that
    private static let octaves = 40  // up to 2^48 µs, far beyond any run

    private var counts = [Int](repeating: 0, count: linear + octaves * perOctave)
    /// How many latencies were recorded.
    private(set) var total = 0
    /// The largest latency recorded, exactly.
    private(set) var maximum = 0

    /// Counts one latency; negative ones (clock granularity) count as 0.
    mutating func record(micros value: Int) {
        let value = max(0, value)
        counts[Self.bucket(of: value)] += 1
        total += 1
        if value > maximum { maximum = value }
    }

    /// Adds `other`'s counts to these.
    mutating func merge(_ other: LatencyHistogram) {
        for index in counts.indices { counts[index] += other.counts[index] }
        total += other.total
        maximum = max(maximum, other.maximum)
    }

    /// The latency at percentile `p` (0–100): the smallest recorded value with at least p% of
    /// all values at or below it, as the middle of its bucket. Nil when nothing was recorded.
    func percentile(_ p: Double) -> Int? {
        guard total > 0 else { return nil }
        let rank = max(1, Int((p / 100 * Double(total)).rounded(.up)))
        var seen = 0
        for (index, count) in counts.enumerated() where count > 0 {
            seen += count
            if seen >= rank { return min(Self.middle(of: index), maximum) }
        }
        return maximum
    }

    private static func bucket(of value: Int) -> Int {
        guard value >= linear else { return value }
        let bits = Int.bitWidth - value.leadingZeroBitCount  // 9 or more
        let shift = bits - 8
        let top = value >> shift  // 128...255
        return min(linear + (shift - 1) * perOctave + (top - perOctave), linear + octaves * perOctave - 1)
    }

    private static func middle(of index: Int) -> Int {
        guard index >= linear else { return index }
        let shift = (index - linear) / perOctave + 1
        let top = (index - linear) % perOctave + perOctave
        let low = top << shift, high = ((top + 1) << shift) - 1
        return (low + high) / 2
    }
}
