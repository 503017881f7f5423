import NIOCore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An `http://` URL on this machine's loopback: the only kind of target `beacon-bench` sends to.
///
/// The host must be an address in 127.0.0.0/8, `::1` (written `[::1]`) or `localhost`, which is
/// taken as 127.0.0.1 without asking a resolver.
struct LoopbackURL: Sendable, CustomStringConvertible {
    /// The URL as given.
    let description: String
    /// The `Host` header to send: the URL's authority.
    let hostHeader: String
    /// Where to connect.
    let address: SocketAddress
    /// The request target: path and query, at least `/`.
    let path: String

    /// Parses `text`; throws ``BenchError`` for anything that is not an http URL on loopback.
    init(_ text: String) throws {
        description = text
        let lower = text.lowercased()
        if lower.hasPrefix("https://") { throw BenchError.badURL(text, "TLS is not supported") }
        guard lower.hasPrefix("http://") else { throw BenchError.badURL(text, "not an http:// URL") }
        let rest = text.dropFirst("http://".count)
        let authorityEnd = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = String(rest[authorityEnd...])
        if let fragment = target.firstIndex(of: "#") { target = String(target[..<fragment]) }
        if !target.hasPrefix("/") { target = "/" + target }
        guard !authority.isEmpty else { throw BenchError.badURL(text, "no host") }
        guard !authority.contains("@") else { throw BenchError.badURL(text, "user information is not supported") }

        let host: Substring, portText: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw BenchError.badURL(text, "unclosed [") }
            host = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if after.isEmpty {
                portText = nil
            } else if after.hasPrefix(":") {
                portText = after.dropFirst()
            } else {
                throw BenchError.badURL(text, "unexpected text after ]")
            }
        } else if let colon = authority.lastIndex(of: ":") {
            host = authority[..<colon]
            portText = authority[authority.index(after: colon)...]
        } else {
            host = authority
            portText = nil
        }
        var port = 80
        if let portText {
            guard let parsed = Int(portText), (1...65535).contains(parsed) else {
                throw BenchError.badURL(text, "port \(portText) is not a number from 1 to 65535")
            }
            port = parsed
        }
        address = try Self.loopbackAddress(String(host), port: port, url: text)
        hostHeader = String(authority)
        path = target
    }

    /// The socket address of `host` when it is on loopback.
    static func loopbackAddress(_ host: String, port: Int, url: String) throws -> SocketAddress {
        let name = host.lowercased() == "localhost" ? "127.0.0.1" : host
        guard isLoopback(name) else { throw BenchError.notLoopback(url, host: host) }
        do {
            return try SocketAddress(ipAddress: name, port: port)
        } catch {
            throw BenchError.badURL(url, "host \(host) is not an IP address or localhost")
        }
    }

    /// Whether `address` (a numeric IPv4 or IPv6 address) is in 127.0.0.0/8 or is ::1.
    static func isLoopback(_ address: String) -> Bool {
        var v4 = in_addr()
        if inet_pton(AF_INET, address, &v4) == 1 {
            return UInt32(bigEndian: v4.s_addr) >> 24 == 127
        }
        var v6 = in6_addr()
        if inet_pton(AF_INET6, address, &v6) == 1 {
            return withUnsafeBytes(of: &v6) { bytes in bytes.dropLast().allSatisfy { $0 == 0 } && bytes.last == 1 }
        }
        return false
    }
}
