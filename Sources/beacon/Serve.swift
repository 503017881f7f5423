import ArgumentParser
import BeaconHTTP
import Dispatch
import EventHub
import Foundation
import Logging
import PluginHost

/// `beacon serve` (also what `beacon` alone runs).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the plugins and serve their results (the default command).",
        discussion: """
            Endpoints: GET /events/NAME (one plugin's stream), GET /events (every plugin; \
            ?plugin=a&plugin=b for some), GET /plugins, GET /plugins/NAME, GET /healthz, GET / (dashboard). \
            Signals: SIGHUP reloads the plugins folder; SIGTERM and SIGINT stop gracefully.
            """
    )

    @Option(help: ArgumentHelp("The plugins folder.", valueName: "dir"))
    var plugins: String = "plugins"

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "host"))
    var host: String = "127.0.0.1"

    @Option(help: ArgumentHelp("The port to listen on; 0 picks a free one (the log says which).", valueName: "port"))
    var port: Int = 8080

    @Option(help: ArgumentHelp("The most checks running at once.", valueName: "n"))
    var maxConcurrentChecks: Int = PluginHostConfiguration.defaultConcurrentChecks

    @Option(help: ArgumentHelp("Events kept per plugin for clients that resume with Last-Event-ID.", valueName: "n"))
    var history: Int = 100

    @Option(help: ArgumentHelp("The reconnection delay sent to clients as `retry:`, in milliseconds.", valueName: "ms"))
    var retryMs: Int = 3000

    @Option(help: ArgumentHelp("Seconds between `: keep-alive` comments on idle streams.", valueName: "seconds"))
    var heartbeat: Double = 15

    @Option(help: ArgumentHelp(
        "An origin allowed to read the streams from a browser page (repeatable), or `*` for any.",
        valueName: "origin"))
    var corsOrigin: [String] = []

    @Option(help: ArgumentHelp(
        "On SIGTERM/SIGINT, how long running checks may take to finish before Beacon exits anyway, in seconds.",
        valueName: "seconds"))
    var shutdownTimeout: Double = 10

    @Option(help: ArgumentHelp("Log level: trace, debug, info, notice, warning, error or critical.", valueName: "level"))
    var logLevel: String = "info"

    @OptionGroup var limits: PluginLimitOptions

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
        guard maxConcurrentChecks >= 1 else { throw ValidationError("--max-concurrent-checks must be at least 1") }
        guard history >= 1 else { throw ValidationError("--history must be at least 1") }
        guard retryMs >= 0 else { throw ValidationError("--retry-ms must not be negative") }
        guard heartbeat > 0 else { throw ValidationError("--heartbeat must be more than 0 seconds") }
        guard shutdownTimeout >= 0 else { throw ValidationError("--shutdown-timeout must not be negative") }
        guard Logger.Level(rawValue: logLevel) != nil else {
            throw ValidationError("--log-level must be one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() async throws {
        signal(SIGHUP, SIG_IGN)  // until the reload handler is installed
        let level = Logger.Level(rawValue: logLevel) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "beacon")

        let hub = EventHub(configuration: EventHubConfiguration(
            historyLimit: history, retryMilliseconds: retryMs, heartbeatSeconds: heartbeat))
        var hostConfiguration = limits.hostConfiguration(directory: plugins)
        hostConfiguration.maxConcurrentChecks = maxConcurrentChecks
        let pluginHost = PluginHost(configuration: hostConfiguration, sink: HubSink(hub: hub), logger: logger)

        let summary: ReloadSummary
        do {
            summary = try pluginHost.start()
        } catch {
            logger.critical("\(error.description); create it or pass --plugins DIR")
            throw ExitCode(1)
        }
        logger.info("plugins loaded: \(summary.added.isEmpty ? "none" : summary.added.joined(separator: ", "))")

        let server = BeaconServer(
            configuration: BeaconServerConfiguration(host: host, port: port, corsOrigins: corsOrigin),
            hub: hub, status: HostStatus(host: pluginHost), logger: logger)
        let boundPort: Int
        do {
            boundPort = try await server.start()
        } catch {
            logger.critical("cannot listen on \(host):\(port): \(error)")
            pluginHost.stop()
            throw ExitCode(1)
        }
        let shownHost = host.contains(":") ? "[\(host)]" : host
        logger.info("listening on http://\(shownHost):\(boundPort)")

        let signals = SignalWatcher()
        signals.onReload = {
            logger.info("SIGHUP: reloading \(plugins)")
            pluginHost.requestReload { summary in logger.info("reload done: \(summary)") }
        }
        let signal = await signals.waitForTermination()
        logger.info("\(signal): shutting down")
        if !pluginHost.stop(reason: "shutdown", timeout: shutdownTimeout) {
            logger.warning("some checks were still running after \(shutdownTimeout) s; exiting without them")
        }
        hub.shutdown(reason: "shutdown")
        try await server.shutdown()
        logger.info("stopped")
    }
}

/// Feeds plugin results into the event hub.
struct HubSink: PluginEventSink {
    let hub: EventHub

    func pluginAdded(_ name: String) { hub.addStream(name) }

    func publish(plugin name: String, event: String, json: [UInt8]) {
        hub.publish(stream: name, event: event, json: json)
    }

    func pluginRemoved(_ name: String, reason: String) { hub.removeStream(name, reason: reason) }
}

/// Answers `/plugins` from the plugin host.
struct HostStatus: StatusSource {
    let host: PluginHost

    func pluginsJSON() -> [UInt8] { host.pluginsJSON() }

    func pluginJSON(named name: String) -> [UInt8]? { host.pluginJSON(named: name) }
}
