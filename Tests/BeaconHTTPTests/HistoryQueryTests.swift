import Testing

@testable import BeaconHTTP

@Suite("History query parameters")
struct HistoryQueryTests {
    private func parse(_ query: String) -> Result<HistoryQuery, HistoryQuery.Problem> {
        HistoryQuery.parse(RequestQuery(Substring(query)))
    }

    @Test func defaultsAreEverythingAndTheNewestHundred() throws {
        #expect(try parse("").get() == HistoryQuery(range: Int64.min...Int64.max, limit: 100))
        #expect(try parse("access_token=x&limit=10000").get().limit == 10_000)
    }

    @Test(arguments: [
        ("1764844800", 1_764_844_800_000), ("1764844800.5", 1_764_844_800_500), ("0", 0),
        ("2025-12-04T10:40:00Z", 1_764_844_800_000), ("2025-12-04t10:40:00.25z", 1_764_844_800_250),
        ("2025-12-04T12:40:00+02:00", 1_764_844_800_000), ("2025-12-04T09:10:00.123-01:30", 1_764_844_800_123),
        ("1970-01-01T00:00:00Z", 0), ("2000-02-29T00:00:00Z", 951_782_400_000),
    ] as [(String, Int64)])
    func timesAreUnixSecondsOrRFC3339(text: String, milliseconds: Int64) {
        #expect(HistoryQuery.milliseconds(text) == milliseconds)
    }

    @Test(arguments: [
        "", "yesterday", "1e3", "2025-12-04", "2025-12-04T10:40:00", "2025-13-04T10:40:00Z", "2025-12-04T24:00:00Z",
        "2025-12-04T10:40:00.Z", "2025-12-04T10:40:00+2:00", "2025-12-04T10:40:00Z ", "nan", "inf",
    ])
    func otherTimesAreRefused(text: String) {
        #expect(HistoryQuery.milliseconds(text) == nil)
    }

    @Test func badParametersSayWhatIsWrong() {
        for (query, words) in [
            ("limit=0", "limit=0 is not a whole number from 1 to 10000"), ("limit=10001", "limit=10001"),
            ("since=x", "since=x is not a time"), ("until=x", "until=x is not a time"),
            ("since=20&until=10", "since is later than until"),
        ] {
            guard case .failure(let problem) = parse(query) else {
                Issue.record("\(query) was accepted")
                continue
            }
            #expect(problem.reason.contains(words), "\(query): \(problem.reason)")
        }
    }

    @Test func routesReachTheHistoryOfAPlugin() {
        #expect(Route.parse(target: "/plugins/disk-1/history?limit=5").route == .pluginHistory("disk-1"))
        #expect(Route.parse(target: "/plugins/a%2Fb/history").route == .invalidName("a/b"))
        #expect(Route.parse(target: "/plugins/history").route == .plugin("history"))
    }
}
