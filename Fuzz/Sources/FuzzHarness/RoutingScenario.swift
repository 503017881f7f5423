import BeaconHTTP

/// One way of serving a fuzz input: the server's settings and how the bytes arrive.
struct RoutingScenario: Sendable {
    /// How the input is cut into reads.
    enum Feeding: Sendable {
        /// One read holding everything (pipelining, bodies, the guard out of sync).
        case whole
        /// One read per request head: cut after every blank line (what browsers do).
        case perHead
        /// One byte per read (the guard's and the decoder's incremental parsing), for the first
        /// ``byteByByteLimit`` bytes; the rest in one read.
        case byteByByte
    }

    var name: String
    var server: BeaconServerConfiguration
    /// The connection is over a connection limit and is answered "come back later".
    var shedding: Bool
    var feeding: Feeding

    /// Bytes fed one at a time before the rest goes in one read (keeps large inputs fast).
    static let byteByByteLimit = 2048

    /// Every input is served in each of these.
    static let all: [RoutingScenario] = [
        RoutingScenario(name: "defaults, one read", server: BeaconServerConfiguration(), shedding: false, feeding: .whole),
        RoutingScenario(name: "defaults, read per head", server: BeaconServerConfiguration(), shedding: false, feeding: .perHead),
        // Small limits, so that 414 and 431 are a few bytes away; tokens and a CORS allow-list on.
        RoutingScenario(
            name: "strict, byte by byte",
            server: BeaconServerConfiguration(
                corsOrigins: ["https://app.example"], maxRequestLineBytes: 64, maxHeaderBytes: 256, tokens: ["s3cret", ""]),
            shedding: false, feeding: .byteByByte),
        RoutingScenario(
            name: "over the connection limit", server: BeaconServerConfiguration(corsOrigins: ["*"]), shedding: true,
            feeding: .whole),
    ]

    /// The reads `input` arrives in.
    func reads(of input: [UInt8]) -> [[UInt8]] {
        switch self.feeding {
        case .whole:
            return input.isEmpty ? [] : [input]
        case .byteByByte:
            let head = input.prefix(Self.byteByByteLimit).map { [$0] }
            return input.count > Self.byteByByteLimit ? head + [Array(input.dropFirst(Self.byteByByteLimit))] : head
        case .perHead:
            var reads: [[UInt8]] = []
            var start = 0
            var index = 0
            while index < input.count {
                // A blank line: LF LF, or LF CR LF.
                let ends =
                    input[index] == 0x0A
                    && (index + 1 < input.count && input[index + 1] == 0x0A
                        || index + 2 < input.count && input[index + 1] == 0x0D && input[index + 2] == 0x0A)
                if ends {
                    let end = input[index + 1] == 0x0A ? index + 2 : index + 3
                    reads.append(Array(input[start..<end]))
                    start = end
                    index = end
                } else {
                    index += 1
                }
            }
            if start < input.count { reads.append(Array(input[start...])) }
            return reads
        }
    }
}
