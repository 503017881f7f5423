import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The local addresses subscribers bind to, round-robin, so that many connections to one server
/// port do not run out of ephemeral ports: `127.0.0.1-127.0.0.8`, `127.0.0.1,127.0.0.5` or `::1`.
enum SourceAddresses {
    /// The most addresses one list may name.
    static let maximum = 256

    /// Parses a comma-separated list of loopback addresses and IPv4 ranges `A-B` (same /24).
    static func parse(_ text: String) throws -> [SocketAddress] {
        var addresses: [SocketAddress] = []
        for item in text.split(separator: ",").map({ $0.filter { $0 != " " } }) where !item.isEmpty {
            let ends = item.split(separator: "-", maxSplits: 1).map(String.init)
            if ends.count == 2 {
                guard let first = ipv4(ends[0]), let last = ipv4(ends[1]) else {
                    throw BenchError.badSourceAddresses(text, "\(item) is not a range of IPv4 addresses")
                }
                guard first <= last, last - first < UInt32(maximum) else {
                    throw BenchError.badSourceAddresses(text, "\(item) is empty or longer than \(maximum)")
                }
                for value in first...last {
                    let dotted = "\(value >> 24).\((value >> 16) & 255).\((value >> 8) & 255).\(value & 255)"
                    addresses.append(try address(dotted, in: text))
                }
            } else {
                addresses.append(try address(item, in: text))
            }
            guard addresses.count <= maximum else {
                throw BenchError.badSourceAddresses(text, "more than \(maximum) addresses")
            }
        }
        guard !addresses.isEmpty else { throw BenchError.badSourceAddresses(text, "no address") }
        return addresses
    }

    private static func address(_ text: String, in list: String) throws -> SocketAddress {
        guard LoopbackURL.isLoopback(text), let address = try? SocketAddress(ipAddress: text, port: 0) else {
            throw BenchError.badSourceAddresses(list, "\(text) is not a loopback address")
        }
        return address
    }

    private static func ipv4(_ text: String) -> UInt32? {
        var value = in_addr()
        guard inet_pton(AF_INET, text, &value) == 1 else { return nil }
        return UInt32(bigEndian: value.s_addr)
    }
}

