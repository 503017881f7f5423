/// A PostgreSQL database as `--store postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=MODE]`
/// names it. Parsing only: this target has no database code.
public struct PostgresURL: Sendable, Equatable, CustomStringConvertible {
    /// How the connection uses TLS, as libpq's `sslmode` says it.
    public enum TLSMode: String, Sendable, Equatable, CaseIterable {
        /// Never TLS.
        case disable
        /// TLS when the server offers it, without checking its certificate (libpq's default).
        case prefer
        /// TLS always, without checking the certificate.
        case require
        /// TLS always, with the certificate checked against the system's roots and the host name.
        case verifyFull = "verify-full"
    }

    public var user: String
    /// The password in the URL; nil when it has none (then `PGPASSWORD` or a password file).
    public var password: String?
    public var host: String
    public var port: Int
    public var database: String
    public var tls: TLSMode

    public init(user: String, password: String?, host: String, port: Int = 5432, database: String, tls: TLSMode = .prefer) {
        self.user = user
        self.password = password
        self.host = host
        self.port = port
        self.database = database
        self.tls = tls
    }

    /// The URL without its password, for logs and messages.
    public var description: String {
        let secret = self.password == nil ? "" : ":***"
        let shownHost = self.host.contains(":") ? "[\(self.host)]" : self.host
        let mode = self.tls == .prefer ? "" : "?sslmode=\(self.tls.rawValue)"
        return "postgres://\(self.user)\(secret)@\(shownHost):\(self.port)/\(self.database)\(mode)"
    }

    /// Parses `postgres://` or `postgresql://` URLs; the reason in words otherwise.
    public static func parse(_ text: String) -> Result<PostgresURL, StoreLocationError> {
        let form = "postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE[?sslmode=disable|prefer|require|verify-full]"
        guard let schemeEnd = text.firstRange(of: "://"), ["postgres", "postgresql"].contains(text[..<schemeEnd.lowerBound]) else {
            return .failure(StoreLocationError("\"\(text)\" is not a PostgreSQL URL; use \(form)"))
        }
        var rest = Substring(text[schemeEnd.upperBound...])
        var tls = TLSMode.prefer
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard parts.count == 2, parts[0] == "sslmode" else {
                    return .failure(StoreLocationError("unknown parameter \"\(pair)\" in the PostgreSQL URL; only sslmode is read"))
                }
                guard let mode = TLSMode(rawValue: parts[1]) else {
                    return .failure(StoreLocationError(
                        "sslmode \"\(parts[1])\" is not one of \(TLSMode.allCases.map(\.rawValue).joined(separator: ", "))"))
                }
                tls = mode
            }
            rest = rest[..<question]
        }
        guard let at = rest.lastIndex(of: "@") else {
            return .failure(StoreLocationError("the PostgreSQL URL names no user; use \(form)"))
        }
        let credentials = rest[..<at]
        var hostPart = rest[rest.index(after: at)...]
        guard let slash = hostPart.firstIndex(of: "/") else {
            return .failure(StoreLocationError("the PostgreSQL URL names no database; use \(form)"))
        }
        let database = percentDecoded(hostPart[hostPart.index(after: slash)...])
        hostPart = hostPart[..<slash]
        let userParts = credentials.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        let user = percentDecoded(userParts[0])
        let password = userParts.count == 2 ? percentDecoded(userParts[1]) : nil
        var host = String(hostPart)
        var port = 5432
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return .failure(StoreLocationError("unclosed [ in the PostgreSQL URL's host")) }
            let after = host[host.index(after: close)...]
            if after.hasPrefix(":") {
                guard let number = Int(after.dropFirst()), (1...65535).contains(number) else {
                    return .failure(StoreLocationError("the port in the PostgreSQL URL is not a number from 1 to 65535"))
                }
                port = number
            }
            host = String(host[host.index(after: host.startIndex)..<close])
        } else if let colon = host.lastIndex(of: ":") {
            guard let number = Int(host[host.index(after: colon)...]), (1...65535).contains(number) else {
                return .failure(StoreLocationError("the port in the PostgreSQL URL is not a number from 1 to 65535"))
            }
            port = number
            host = String(host[..<colon])
        }
        guard !user.isEmpty else { return .failure(StoreLocationError("the PostgreSQL URL names no user; use \(form)")) }
        guard !host.isEmpty else { return .failure(StoreLocationError("the PostgreSQL URL names no host; use \(form)")) }
        guard !database.isEmpty else { return .failure(StoreLocationError("the PostgreSQL URL names no database; use \(form)")) }
        return .success(PostgresURL(user: user, password: password, host: host, port: port, database: database, tls: tls))
    }

    /// `%XX` escapes decoded (a password may hold `@`, `:` or `/` that way).
    private static func percentDecoded(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8)[...]
        while let byte = iterator.popFirst() {
            if byte == UInt8(ascii: "%"), iterator.count >= 2,
                let value = UInt8(String(decoding: iterator.prefix(2), as: UTF8.self), radix: 16)
            {
                bytes.append(value)
                iterator = iterator.dropFirst(2)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
