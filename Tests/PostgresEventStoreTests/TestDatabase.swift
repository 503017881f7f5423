import EventStore
import Foundation
import Logging
import PostgresEventStore
import Testing

/// The PostgreSQL server the test command started (scripts/with-postgres), and a new database
/// in it for each test, so tests run side by side.
enum TestDatabase {
    static let adminURL = ProcessInfo.processInfo.environment["BEACON_TEST_POSTGRES_URL"]
    static let inCI = ProcessInfo.processInfo.environment["CI"] == "true"
    /// In CI the tests run, and fail when the server is missing; elsewhere they are skipped
    /// (with the reason printed) when no server was started.
    static let enabled = adminURL != nil || inCI
    static let skipped: Comment =
        "SKIPPED: no PostgreSQL for the tests (BEACON_TEST_POSTGRES_URL is unset); run `scripts/with-postgres swift test`"

    /// A fresh database's URL.
    static func create() throws -> PostgresURL {
        guard let adminURL, case .success(var url) = PostgresURL.parse(adminURL) else {
            throw TestFailure("BEACON_TEST_POSTGRES_URL is not set: the test command must start PostgreSQL (scripts/with-postgres)")
        }
        let name = "beacon_test_\(UUID().uuidString.prefix(12).lowercased().replacingOccurrences(of: "-", with: ""))"
        try psql(adminURL, "CREATE DATABASE \(name)")
        url.database = name
        return url
    }

    /// Runs one SQL command with psql (the server's own client).
    static func psql(_ url: String, _ command: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["psql", "-v", "ON_ERROR_STOP=1", "-q", url, "-c", command]
        let pipe = Pipe()
        process.standardError = pipe
        process.standardOutput = pipe
        try process.run()
        let output = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw TestFailure("psql \(command): \(String(decoding: output, as: UTF8.self))")
        }
    }

    static func url(_ url: PostgresURL) -> String {
        var shown = url
        shown.tls = .prefer
        return "postgres://\(url.user):\(url.password ?? "")@\(url.host):\(url.port)/\(url.database)"
    }

    static func open(_ url: PostgresURL) throws(StoreError) -> PostgresEventStore {
        try PostgresEventStore(connector: PostgresConnector(url: url, password: nil, logger: Logger(label: "test")))
    }
}

struct TestFailure: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
