public import EventStore
import Logging
import NIOCore
public import NIOConcurrencyHelpers
public import PostgresNIO

/// One connection used by one caller at a time, opened on first use and again after it broke.
/// Every call blocks its thread: use it from Dispatch queues, never from an event loop or a task.
public final class PostgresLink: Sendable {
    public let connector: PostgresConnector
    private let connection = NIOLockedValueBox<PostgresConnection?>(nil)

    public init(connector: PostgresConnector) {
        self.connector = connector
    }

    /// Runs `body` with the connection (opening it first when needed), one caller at a time. An
    /// error that broke the connection closes it, so the next call opens a new one.
    public func with<T>(_ body: (PostgresConnection) throws -> T) throws(StoreError) -> T {
        do {
            return try self.connection.withLockedValue { current in
                let open: PostgresConnection
                if let current, !current.isClosed {
                    open = current
                } else {
                    if let current { current.close().whenComplete { _ in _ = current } }
                    open = try self.connector.connect()
                    current = open
                }
                do {
                    return try body(open)
                } catch {
                    // An error the server answered leaves the connection usable; any other
                    // (a broken or timed-out connection) closes it, and the next call opens another.
                    if open.isClosed || (error as? PSQLError)?.serverInfo == nil {
                        if !open.isClosed { open.close().whenComplete { _ in _ = open } }
                        current = nil
                    }
                    throw error
                }
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError(.io, "PostgreSQL at \(self.connector.url): \(Self.describe(error))")
        }
    }

    /// Runs `body` in a transaction (rolled back when it throws).
    public func transaction<T>(_ body: (PostgresConnection) throws -> T) throws(StoreError) -> T {
        try self.with { connection in
            try connection.run("BEGIN")
            do {
                let value = try body(connection)
                try connection.run("COMMIT")
                return value
            } catch {
                if !connection.isClosed { _ = try? connection.run("ROLLBACK") }
                throw error
            }
        }
    }

    deinit {
        // A connection must be closed before it goes: the close keeps it until it is.
        self.connection.withLockedValue { current in
            if let current, !current.isClosed { current.close().whenComplete { _ in _ = current } }
        }
    }

    /// Closes the connection; a later call opens a new one.
    public func close() {
        self.connection.withLockedValue { current in
            if let current { try? current.close().wait() }
            current = nil
        }
    }

    /// A query error in one line: the server's message and SQLSTATE when it sent one.
    public static func describe(_ error: any Error) -> String {
        guard let psql = error as? PSQLError else { return "\(error)" }
        if let message = psql.serverInfo?[.message] {
            return "\(message) (SQLSTATE \(psql.serverInfo?[.sqlState] ?? "?"))"
        }
        return "\(psql.code)\(psql.underlying.map { ": \($0)" } ?? "")"
    }
}

extension PostgresConnection {
    /// Runs `query` and returns every row. Blocks.
    @discardableResult
    public func run(_ query: PostgresQuery) throws -> [PostgresRow] {
        Array(try self.query(query, logger: Self.quiet).wait().rows)
    }

    static let quiet = Logger(label: "beacon.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
}
