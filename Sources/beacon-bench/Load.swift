import ArgumentParser

/// `beacon-bench load`: open SSE subscribers and measure a window.
struct Load: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Open SSE subscribers to loopback URLs and measure a window of their streams.",
        discussion: """
            Opens --connections subscribers (round-robin over the URLs) at --ramp per second, waits \
            until every dial has connected or failed (a dial that has no response head within \
            --connect-timeout fails), then counts --duration seconds of events. Latency is the \
            wall clock at the read minus the number in the --field of the event's `data:` JSON \
            object (Unix seconds, as Beacon's beacon.now() returns). With --pid, the server's CPU \
            time and memory are read from /proc before the first dial and at the window's start \
            and end.

            Prints one JSON line on standard output (keys: url, n, connected, open_at_end, failed, \
            pending, errors, closed_by_server, events, events_per_s, events_without_field, comments, \
            bytes, latency_ms {p50, p90, p99, max, samples}, id_regressions, window_s, ramp_s, \
            during_ramp, stall, server {pids, cpu_s, cpu_s_per_1m_events, user_cpu_s_per_1m_events, \
            rss_idle_kib, rss_start_kib, rss_end_kib, hwm_kib, rss_kib_per_conn} or null, self_cpu_s) \
            and a summary line on standard error. Events, bytes and latency count in the window only; \
            connection counts and id regressions (an `id:` not greater than the previous one of the \
            same event name on the same connection) over the whole run. rss_kib_per_conn is the \
            server's growth from before the first dial to the end, per open stream.

            Exit status: 0 when it measured, whatever the figures; 1 when an --expect check failed; \
            2 when it could not set up (bad URL, too many connections for the open-files limit, \
            unreadable --pid).
            """
    )

    @Argument(help: ArgumentHelp("SSE URLs on loopback, such as http://127.0.0.1:8080/events/now.", valueName: "url"))
    var urls: [String]

    @Option(name: [.customShort("n"), .long], help: "Subscribers to open.")
    var connections = 1000

    @Option(help: ArgumentHelp("New connections per second.", valueName: "per-second"))
    var ramp = 2000.0

    @Option(help: ArgumentHelp(
        "Local addresses to bind, round-robin, to spread ephemeral ports: 127.0.0.1-127.0.0.8 or a comma list.",
        valueName: "addresses"))
    var sourceIps: String?

    @Option(help: ArgumentHelp("Seconds a dial has to connect and get its response head; later counts as a failure.",
                               valueName: "seconds"))
    var connectTimeout = 5.0

    @Option(help: ArgumentHelp("Seconds of the measurement window.", valueName: "seconds"))
    var duration = 10.0

    @Flag(help: "Open the window at the first dial instead of once every dial has resolved (measure a ramp).")
    var measureDuringRamp = false

    @Option(help: ArgumentHelp("The data field holding the event's Unix time in seconds.", valueName: "name"))
    var field = "t"

    @Flag(help: "Read the response head, then never read again (a client that does not keep up).")
    var stall = false

    @Option(help: ArgumentHelp("Server process ids to sample from /proc, comma-separated.", valueName: "pid[,pid]"))
    var pid: String?

    @Option(help: "Event loops (threads) for the subscribers.")
    var threads = 1

    @Option(help: ArgumentHelp("Exit 1 unless at least this many events arrived in the window.", valueName: "n"))
    var expectEvents: Int?

    @Flag(help: "Exit 1 unless every subscriber connected and was still open at the end.")
    var expectAllConnected = false

    @Flag(help: "Exit 1 if any event id did not go up.")
    var expectOrderedIds = false

    func validate() throws {
        guard !urls.isEmpty else { throw ValidationError("Give at least one URL.") }
        guard connections >= 1 else { throw ValidationError("--connections must be at least 1.") }
        guard ramp >= 1, ramp <= 100_000 else { throw ValidationError("--ramp must be from 1 to 100000 per second.") }
        guard connectTimeout >= 0.1, connectTimeout <= 120 else {
            throw ValidationError("--connect-timeout must be from 0.1 to 120 seconds.")
        }
        guard duration >= 0.1, duration <= 3600 else { throw ValidationError("--duration must be from 0.1 to 3600 seconds.") }
        guard (1...64).contains(threads) else { throw ValidationError("--threads must be from 1 to 64.") }
        guard !field.isEmpty else { throw ValidationError("--field must not be empty.") }
    }

    func run() async throws {
        let settings: LoadSettings
        do {
            settings = try makeSettings()
        } catch let error as BenchError {
            Output.note("beacon-bench: \(error)")
            throw ExitCode(2)
        }
        let report = try await LoadRun(settings: settings).run()
        Output.result(report.json.text)
        Output.note(report.summary)
        let unmet = unmetExpectations(report)
        if !unmet.isEmpty {
            Output.note("beacon-bench: expected \(unmet.joined(separator: "; "))")
            throw ExitCode(1)
        }
    }

    private func makeSettings() throws -> LoadSettings {
        let fileLimit = FileLimit.raiseToHard()
        guard connections <= fileLimit - FileLimit.reserve else {
            throw BenchError.tooManyConnections(connections, fileLimit: fileLimit)
        }
        let targets = try urls.map(LoopbackURL.init)
        let sources = try sourceIps.map(SourceAddresses.parse) ?? []
        for target in targets where sources.contains(where: { $0.protocol != target.address.protocol }) {
            throw BenchError.sourceFamilyMismatch(target.description)
        }
        let pids = try parsePIDs()
        if !pids.isEmpty { _ = try ProcessSample.take(pids) }
        return LoadSettings(
            urls: targets, connections: connections, ramp: ramp, sources: sources, connectTimeout: connectTimeout,
            duration: duration, measureDuringRamp: measureDuringRamp,
            subscriber: .init(field: JSONNumberField(field), stall: stall), pids: pids, threads: threads)
    }

    private func parsePIDs() throws -> [Int32] {
        guard let pid, !pid.isEmpty else { return [] }
        return try pid.split(separator: ",").map {
            guard let value = Int32($0.filter { $0 != " " }), value > 0 else { throw BenchError.badPID(pid) }
            return value
        }
    }

    /// The --expect checks that failed, described.
    private func unmetExpectations(_ report: LoadReport) -> [String] {
        var unmet: [String] = []
        let totals = report.totals
        if let expectEvents, totals.events < expectEvents {
            unmet.append("at least \(expectEvents) events, got \(totals.events)")
        }
        if expectAllConnected, totals.connected < connections || totals.open < connections {
            unmet.append("all \(connections) subscribers connected and open, got \(totals.connected) connected "
                + "and \(totals.open) open at the end")
        }
        if expectOrderedIds, totals.idRegressions > 0 {
            unmet.append("ids that go up, got \(totals.idRegressions) regressions")
        }
        return unmet
    }
}
