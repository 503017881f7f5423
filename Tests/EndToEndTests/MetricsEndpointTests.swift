import Foundation
import Testing

/// `GET /metrics` in the Prometheus text format.
@Suite struct MetricsEndpointTests {
    @Test func prometheusTextCoversChecksSubscribersAndReloads() throws {
        let folder = try PluginFolder()
        defer { folder.delete() }
        try folder.write("m.lua", #"schedule = "50ms" n = 0 function check_status() n = n + 1 if n % 2 == 0 then error("x") end return n end"#)
        let server = try BeaconProcess(plugins: folder.url)
        defer { server.stop() }
        let stream = try TestConnection(port: server.port)
        try stream.get("/events/m")
        _ = try stream.readHead()
        for _ in 0..<4 { _ = stream.nextEvent(seconds: 5) }

        let response = try httpGet(port: server.port, "/metrics")
        #expect(response.status == 200)
        #expect(response.headers["content-type"]?.hasPrefix("text/plain") == true)
        let text = response.body
        for needle in [
            #"beacon_check_runs_total{plugin="m"}"#,
            #"beacon_check_failures_total{"#,
            #"kind="error""#,
            "beacon_check_duration_seconds_bucket",
            #"beacon_plugin_lua_memory_bytes{plugin="m"}"#,
            "beacon_subscribers 1",
            #"beacon_plugin_subscribers{plugin="m"} 1"#,
            #"beacon_events_sent_total{plugin="m"}"#,
            #"beacon_bytes_sent_total{plugin="m"}"#,
            "beacon_reloads_total",
        ] {
            #expect(text.contains(needle), "missing \(needle) in:\n\(text.prefix(2000))")
        }
    }
}
