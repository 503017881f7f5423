/// A run of one stream's event ids as a row of `stream_run` keeps it: the first id, the last id,
/// and the ids after the first as their distances from the id before, each an unsigned LEB128
/// number. Ids of one stream are a few hundred to a few thousand apart, so an id costs about two
/// bytes instead of a row of its own.
struct StreamIdRun: Equatable {
    /// At most this many ids per run, so that a query reads few ids past the ones it needs.
    static let capacity = 256

    var first: Int64
    var last: Int64
    /// The distances, LEB128-encoded.
    var distances: [UInt8]

    /// The run of `ids`, which must be ascending and not empty.
    init(ids: ArraySlice<Int64>) {
        first = ids.first ?? 0
        last = ids.last ?? 0
        distances = []
        distances.reserveCapacity(ids.count * 2)
        var previous = first
        for id in ids.dropFirst() {
            var distance = UInt64(bitPattern: id &- previous)
            while distance >= 0x80 {
                distances.append(UInt8(truncatingIfNeeded: distance) | 0x80)
                distance >>= 7
            }
            distances.append(UInt8(distance))
            previous = id
        }
    }

    init(first: Int64, last: Int64, distances: [UInt8]) {
        self.first = first
        self.last = last
        self.distances = distances
    }

    /// The ids, ascending. A damaged blob ends the run where it stops making sense.
    var ids: [Int64] {
        var ids = [first]
        var id = first
        var distance: UInt64 = 0
        var shift: UInt64 = 0
        for byte in distances {
            guard shift < 64 else { break }
            distance |= UInt64(byte & 0x7F) << shift
            if byte & 0x80 == 0 {
                id &+= Int64(bitPattern: distance)
                guard id > ids[ids.count - 1], id <= last else { break }
                ids.append(id)
                distance = 0
                shift = 0
            } else {
                shift += 7
            }
        }
        return ids
    }

    /// Runs of at most ``capacity`` ids covering `ids` (ascending).
    static func runs(of ids: [Int64]) -> [StreamIdRun] {
        stride(from: 0, to: ids.count, by: capacity).map { start in
            StreamIdRun(ids: ids[start..<min(ids.count, start + capacity)])
        }
    }
}
