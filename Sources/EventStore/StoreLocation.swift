/// Where events are kept, as `--store` names it.
public enum StoreLocation: Sendable, Equatable, CustomStringConvertible {
    /// In memory only: each plugin's last `--history` events, gone when Beacon stops.
    case memory
    /// A SQLite file, created with its folder when missing.
    case sqlite(path: String)
    /// A PostgreSQL database shared by the nodes of a cluster.
    case postgres(PostgresURL)

    /// The forms `--store` accepts, for error messages.
    public static let acceptedForms =
        "`memory`, `sqlite:PATH` (a SQLite file, e.g. sqlite:data/beacon.db) or postgres://USER@HOST[:PORT]/DATABASE"

    /// Parses `memory` or `sqlite:PATH`; nil with the reason otherwise.
    public static func parse(_ text: String) -> Result<StoreLocation, StoreLocationError> {
        if text == "memory" { return .success(.memory) }
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { return .failure(StoreLocationError("sqlite: needs a file path, e.g. sqlite:data/beacon.db")) }
            guard !path.utf8.contains(0) else { return .failure(StoreLocationError("the path contains a NUL byte")) }
            return .success(.sqlite(path: path))
        }
        if text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") { return PostgresURL.parse(text).map(StoreLocation.postgres) }
        return .failure(StoreLocationError("\"\(text)\" is not a store; use \(acceptedForms)"))
    }

    public var description: String {
        switch self {
        case .memory: "memory"
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres(let url): url.description
        }
    }
}

/// Why a `--store` value is not one.
public struct StoreLocationError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
