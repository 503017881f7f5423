import EventStore
import Testing

@Suite struct PostgresURLTests {
    @Test func fullForm() throws {
        let url = try PostgresURL.parse("postgres://beacon:s%40cret@db.example:6432/status?sslmode=require").get()
        #expect(url == PostgresURL(user: "beacon", password: "s@cret", host: "db.example", port: 6432, database: "status", tls: .require))
        #expect(url.description == "postgres://beacon:***@db.example:6432/status?sslmode=require")
        #expect(!url.description.contains("s@cret"))
    }

    @Test func shortForms() throws {
        #expect(try PostgresURL.parse("postgresql://u@h/d").get() == PostgresURL(user: "u", password: nil, host: "h", database: "d"))
        #expect(try PostgresURL.parse("postgres://u@[::1]:7/d").get() == PostgresURL(user: "u", password: nil, host: "::1", port: 7, database: "d"))
        #expect(try StoreLocation.parse("postgres://u@h/d").get() == .postgres(PostgresURL(user: "u", password: nil, host: "h", database: "d")))
    }

    @Test(arguments: [
        ("postgres://h/d", "names no user"),
        ("postgres://u@h", "names no database"),
        ("postgres://u@h:99999/d", "port"),
        ("postgres://u@h/d?sslmode=sometimes", "sslmode \"sometimes\""),
        ("postgres://u@h/d?pool=3", "unknown parameter"),
        ("mysql://u@h/d", "not a store"),
    ])
    func refusals(text: String, reason: String) {
        guard case .failure(let error) = StoreLocation.parse(text) else {
            Issue.record("\(text) was accepted")
            return
        }
        #expect(error.description.contains(reason), "\(error)")
    }
}
