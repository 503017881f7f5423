import Foundation
import NIOCore

/// What a `load` run measured: one JSON line for machines, one summary line for people.
struct LoadReport {
    let settings: LoadSettings
    /// The server processes before the first dial, for memory per connection.
    let idle: ProcessSample?
    var totals = LoopStats.Snapshot()
    var windowOpened = NIODeadline.now()
    var windowSeconds = 0.0
    /// Seconds from the first dial until every dial had connected or failed; nil if never.
    var rampSeconds: Double?
    var serverStart: ProcessSample?
    var serverEnd: ProcessSample?
    var ownCPUStart: Double?
    var ownCPUEnd: Double?

    init(settings: LoadSettings, idle: ProcessSample?) {
        self.settings = settings
        self.idle = idle
    }

    /// Events per second delivered in the window, over all subscribers.
    var eventsPerSecond: Double { windowSeconds > 0 ? Double(totals.events) / windowSeconds : 0 }

    /// Server CPU seconds in the window.
    var serverCPU: Double? {
        guard let serverStart, let serverEnd else { return nil }
        return serverEnd.cpuSeconds - serverStart.cpuSeconds
    }

    /// Server CPU seconds per million events delivered.
    var serverCPUPerMillion: Double? {
        guard let serverCPU, totals.events > 0 else { return nil }
        return serverCPU / Double(totals.events) * 1e6
    }

    /// The user-space part of ``serverCPUPerMillion``.
    var serverUserCPUPerMillion: Double? {
        guard let serverStart, let serverEnd, totals.events > 0 else { return nil }
        return (serverEnd.userSeconds - serverStart.userSeconds) / Double(totals.events) * 1e6
    }

    /// Resident memory the server grew by per open stream, from before the first dial to the
    /// end of the window.
    var rssPerConnection: Double? {
        guard let idle, let serverEnd, totals.open > 0 else { return nil }
        return Double(serverEnd.rssKiB - idle.rssKiB) / Double(totals.open)
    }

    var ownCPU: Double? {
        guard let ownCPUStart, let ownCPUEnd else { return nil }
        return ownCPUEnd - ownCPUStart
    }

    /// Latency at percentile `p` in milliseconds.
    func latency(_ p: Double) -> Double? { totals.latency.percentile(p).map { Double($0) / 1000 } }

    /// The report as one JSON object; its keys are stable.
    var json: JSONValue {
        let pending = settings.connections - totals.resolved
        return .object([
            "url": .string(settings.urls.map(\.description).joined(separator: ",")),
            "n": .int(settings.connections),
            "connected": .int(totals.connected),
            "open_at_end": .int(totals.open),
            "failed": .int(totals.failed),
            "pending": .int(pending),
            "errors": .dictionary(totals.errors.mapValues { .int($0) }),
            "closed_by_server": .int(totals.closedByServer),
            "events": .int(totals.events),
            "events_per_s": .number(eventsPerSecond, decimals: 1),
            "events_without_field": .int(totals.eventsWithoutField),
            "comments": .int(totals.comments),
            "bytes": .int(totals.bytes),
            "latency_ms": .object([
                "p50": Self.number(latency(50), 3),
                "p90": Self.number(latency(90), 3),
                "p99": Self.number(latency(99), 3),
                "max": Self.number(totals.latency.total > 0 ? Double(totals.latency.maximum) / 1000 : nil, 3),
                "samples": .int(totals.latency.total),
            ]),
            "id_regressions": .int(totals.idRegressions),
            "window_s": .number(windowSeconds, decimals: 3),
            "ramp_s": Self.number(rampSeconds, 3),
            "during_ramp": .bool(settings.measureDuringRamp),
            "stall": .bool(settings.subscriber.stall),
            "server": serverJSON,
            "self_cpu_s": Self.number(ownCPU, 3),
        ])
    }

    private var serverJSON: JSONValue {
        guard let idle, let serverStart, let serverEnd else { return .null }
        return .object([
            "pids": .array(settings.pids.map { .int(Int($0)) }),
            "cpu_s": Self.number(serverCPU, 3),
            "cpu_s_per_1m_events": Self.number(serverCPUPerMillion, 2),
            "user_cpu_s_per_1m_events": Self.number(serverUserCPUPerMillion, 2),
            "rss_idle_kib": .int(idle.rssKiB),
            "rss_start_kib": .int(serverStart.rssKiB),
            "rss_end_kib": .int(serverEnd.rssKiB),
            "hwm_kib": .int(serverEnd.hwmKiB),
            "rss_kib_per_conn": Self.number(rssPerConnection, 2),
        ])
    }

    /// One line for a person: connections, events, latency, server cost.
    var summary: String {
        var line = "beacon-bench: \(totals.open)/\(settings.connections) open"
        if totals.failed > 0 { line += ", \(totals.failed) failed \(Self.describe(totals.errors))" }
        if totals.closedByServer > 0 { line += ", \(totals.closedByServer) closed by the server" }
        line += String(format: "; %d events in %.1f s (%.0f/s)", totals.events, windowSeconds, eventsPerSecond)
        if let p50 = latency(50), let p99 = latency(99) {
            line += String(format: ", latency p50 %.2f ms p99 %.2f ms max %.2f ms",
                           p50, p99, Double(totals.latency.maximum) / 1000)
        }
        if totals.idRegressions > 0 { line += ", \(totals.idRegressions) id regressions" }
        if let serverCPU {
            line += String(format: "; server %.2f CPU s", serverCPU)
            if let perMillion = serverCPUPerMillion { line += String(format: " (%.1f per 1M events)", perMillion) }
            if let perConnection = rssPerConnection { line += String(format: ", %.1f KiB RSS per stream", perConnection) }
        }
        if let ownCPU { line += String(format: "; self %.2f CPU s", ownCPU) }
        return line
    }

    private static func number(_ value: Double?, _ decimals: Int) -> JSONValue {
        value.map { .number($0, decimals: decimals) } ?? .null
    }

    private static func describe(_ errors: [String: Int]) -> String {
        "(" + errors.sorted { $0.value > $1.value }.map { "\($0.key) \($0.value)" }.joined(separator: ", ") + ")"
    }
}
