import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A temp folder for store files, removed by the caller.
struct StoreFolder {
    let url: URL

    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("beacon-store-e2e-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    func path(_ name: String = "beacon.db") -> String { url.appendingPathComponent(name).path }

    func delete() { try? FileManager.default.removeItem(at: url) }
}

extension TestConnection {
    /// Opens `path` with an optional `Last-Event-ID` and reads the head; returns the connection and `Beacon-Resume`.
    static func stream(port: Int, _ path: String, lastEventID: String? = nil) throws -> (TestConnection, String?) {
        let connection = try TestConnection(port: port)
        try connection.get(path, headers: lastEventID.map { ["Last-Event-ID: \($0)"] } ?? [])
        let head = try connection.readHead()
        guard head.status == 200 else { throw TestFailure("\(path): status \(head.status)") }
        return (connection, head.headers["beacon-resume"])
    }

    /// The next `count` events that carry an id (`done` has none), or fewer when the stream stalls or ends.
    func events(_ count: Int, seconds: Double = 10) -> [SSEEvent] {
        var events: [SSEEvent] = []
        let deadline = Date().addingTimeInterval(seconds)
        while events.count < count, deadline.timeIntervalSinceNow > 0,
            let event = nextEvent(seconds: deadline.timeIntervalSinceNow)
        {
            if event.event != "done" { events.append(event) }
        }
        return events
    }

    /// Every event with an id until the stream ends (or `seconds` pass).
    func eventsUntilEnd(seconds: Double = 15) -> [SSEEvent] {
        var events: [SSEEvent] = []
        let deadline = Date().addingTimeInterval(seconds)
        while deadline.timeIntervalSinceNow > 0, let event = nextEvent(seconds: deadline.timeIntervalSinceNow) {
            if event.event != "done" { events.append(event) }
        }
        return events
    }
}

extension SSEEvent {
    var numericId: UInt64 { id.flatMap(UInt64.init) ?? 0 }
}

/// A plugin that counts its runs: each result is `{"n":N}`.
func counterPlugin(schedule: String) -> String {
    "schedule = \"\(schedule)\"\nn = 0\nfunction check_status() n = n + 1 return { n = n } end\n"
}

/// `GET /plugins/NAME/history` parsed: (id, event, data as compact JSON text, time).
func storedHistory(port: Int, _ query: String) throws -> [(id: UInt64, event: String, time: Double)] {
    let response = try httpGet(port: port, query)
    guard response.status == 200,
        let list = try JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [[String: Any]]
    else { throw TestFailure("\(query): \(response.status) \(response.body)") }
    return list.map { entry in
        ((entry["id"] as? NSNumber)?.uint64Value ?? 0, entry["event"] as? String ?? "", (entry["time"] as? NSNumber)?.doubleValue ?? 0)
    }
}

/// A Prometheus sample's value from `/metrics`, 0 when absent.
func metric(port: Int, _ name: String) throws -> Double {
    let body = try httpGet(port: port, "/metrics").body
    for line in body.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.split(separator: " ").last ?? "") ?? 0
    }
    return 0
}
