import ArgumentParser
import Foundation

/// `beacon serve` (also what `beacon` alone runs).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the plugins and serve their results (the default command).",
        discussion: """
            Endpoints: GET /events/NAME (one plugin's stream), GET /events (every plugin; \
            ?plugin=a&plugin=b for some), GET /plugins, GET /plugins/NAME, GET /plugins/NAME/history, \
            GET /healthz, GET / (dashboard). \
            Signals: SIGHUP reloads the plugins folder and the config file (only the log level \
            changes live; the log warns about other settings that need a restart); \
            SIGTERM and SIGINT stop gracefully. \
            Every option except --config and --check-config can also be set in the config file, \
            as a key named like the option without `--`; the command line wins over the file.
            """
    )

    @Option(help: ArgumentHelp("A TOML file of settings (keys are the option names without `--`).", valueName: "file"))
    var config: String?

    @Flag(help: """
        Check the settings and load every plugin without serving, list every problem, and exit \
        (0 when there is none, 1 otherwise).
        """)
    var checkConfig = false

    @Option(help: ArgumentHelp("The plugins folder (default: \(SettingKey.plugins.defaultValue)).", valueName: "dir"))
    var plugins: String?

    @Option(help: ArgumentHelp("The address to listen on (default: \(SettingKey.host.defaultValue)).", valueName: "host"))
    var host: String?

    @Option(help: ArgumentHelp(
        "The port to listen on; 0 picks a free one, the log says which (default: \(SettingKey.port.defaultValue)).",
        valueName: "port"))
    var port: Int?

    @Option(help: ArgumentHelp(
        "The most checks in flight at once, those waiting for a host call included "
            + "(default: \(SettingKey.maxConcurrentChecks.defaultValue)).",
        valueName: "n"))
    var maxConcurrentChecks: Int?

    @Option(help: ArgumentHelp(
        "Events kept in memory per plugin for clients that resume with Last-Event-ID; older ones come from the store "
            + "(default: \(SettingKey.history.defaultValue)).",
        valueName: "n"))
    var history: Int?

    @Option(help: ArgumentHelp(
        "The reconnection delay sent to clients as `retry:`, in milliseconds (default: \(SettingKey.retryMs.defaultValue)).",
        valueName: "ms"))
    var retryMs: Int?

    @Option(help: ArgumentHelp(
        "Seconds between `: keep-alive` comments on idle streams (default: \(SettingKey.heartbeat.defaultValue)).",
        valueName: "seconds"))
    var heartbeat: Double?

    @Option(help: ArgumentHelp(
        "An origin allowed to read the streams from a browser page (repeatable), or `*` for any.",
        valueName: "origin"))
    var corsOrigin: [String] = []

    @Option(help: ArgumentHelp(
        "On SIGTERM/SIGINT, how long running checks may take to finish before Beacon exits anyway, "
            + "in seconds (default: \(SettingKey.shutdownTimeout.defaultValue)).",
        valueName: "seconds"))
    var shutdownTimeout: Double?

    @Option(help: ArgumentHelp(
        "Log level: trace, debug, info, notice, warning, error or critical (default: info).", valueName: "level"))
    var logLevel: String?

    @Option(help: ArgumentHelp(
        "Log format on standard error: text, or json for one JSON object per line (default: text).",
        valueName: "format"))
    var logFormat: String?

    @Option(help: ArgumentHelp(
        "Bytes a subscriber may have unsent before Beacon keeps only its newest event per plugin, in KiB "
            + "(default: \(SettingKey.clientBuffer.defaultValue)).", valueName: "KiB"))
    var clientBuffer: Int?

    @Option(help: ArgumentHelp(
        "Seconds a subscriber may stay over its buffer before it is disconnected; 0 never "
            + "(default: \(SettingKey.stallTimeout.defaultValue)).", valueName: "seconds"))
    var stallTimeout: Double?

    @Option(help: ArgumentHelp(
        "The most open connections; 0 for no limit (default: \(SettingKey.maxConnections.defaultValue)).", valueName: "n"))
    var maxConnections: Int?

    @Option(help: ArgumentHelp(
        "The most open connections from one address; 0 for no limit (default: 0).", valueName: "n"))
    var maxConnectionsPerIp: Int?

    @Option(help: ArgumentHelp(
        "The most HTTP connections plugins open to one host at once; more requests wait for a free one "
            + "(default: \(SettingKey.maxConnectionsPerHost.defaultValue)).", valueName: "n"))
    var maxConnectionsPerHost: Int?

    @Option(help: ArgumentHelp(
        "Seconds a client has to send a complete request head; 0 for no limit "
            + "(default: \(SettingKey.headerTimeout.defaultValue)).",
        valueName: "seconds"))
    var headerTimeout: Double?

    @Option(help: ArgumentHelp(
        "A file of bearer tokens, one per line; when given, every route but /healthz needs one.",
        valueName: "file"))
    var tokenFile: String?

    @Option(help: ArgumentHelp(
        "Where events are kept: memory, sqlite:PATH for a SQLite file that keeps them across restarts, or "
            + "postgres://USER[:PASSWORD]@HOST[:PORT]/DB[?sslmode=MODE] for a PostgreSQL database shared by the "
            + "nodes of a cluster (default: memory).", valueName: "url"))
    var store: String?

    @Option(help: ArgumentHelp(
        "A file whose first line is the PostgreSQL password (else the URL's, or PGPASSWORD).", valueName: "file"))
    var storePasswordFile: String?

    @Option(help: ArgumentHelp(
        "This node's name in a cluster (default: the host name and the port).", valueName: "name"))
    var nodeName: String?

    @Option(help: ArgumentHelp(
        "How long the store keeps events, e.g. 7d, 36h, 90m (default: \(SettingKey.retention.defaultValue)).",
        valueName: "duration"))
    var retention: String?

    @OptionGroup var limits: PluginLimitOptions

    /// The settings given on the command line.
    var commandLineValues: SettingValues {
        var values = limits.values
        values[.plugins] = plugins.map(SettingValue.string)
        values[.host] = host.map(SettingValue.string)
        values[.port] = port.map(SettingValue.integer)
        values[.maxConcurrentChecks] = maxConcurrentChecks.map(SettingValue.integer)
        values[.history] = history.map(SettingValue.integer)
        values[.retryMs] = retryMs.map(SettingValue.integer)
        values[.heartbeat] = heartbeat.map(SettingValue.number)
        values[.corsOrigin] = corsOrigin.isEmpty ? nil : .strings(corsOrigin)
        values[.shutdownTimeout] = shutdownTimeout.map(SettingValue.number)
        values[.logLevel] = logLevel.map(SettingValue.string)
        values[.logFormat] = logFormat.map(SettingValue.string)
        values[.clientBuffer] = clientBuffer.map(SettingValue.integer)
        values[.stallTimeout] = stallTimeout.map(SettingValue.number)
        values[.maxConnections] = maxConnections.map(SettingValue.integer)
        values[.maxConnectionsPerIP] = maxConnectionsPerIp.map(SettingValue.integer)
        values[.maxConnectionsPerHost] = maxConnectionsPerHost.map(SettingValue.integer)
        values[.headerTimeout] = headerTimeout.map(SettingValue.number)
        values[.tokenFile] = tokenFile.map(SettingValue.string)
        values[.store] = store.map(SettingValue.string)
        values[.storePasswordFile] = storePasswordFile.map(SettingValue.string)
        values[.nodeName] = nodeName.map(SettingValue.string)
        values[.retention] = retention.map(SettingValue.string)
        return values
    }

    func validate() throws {
        try SettingKey.validate(commandLineValues)
    }

    func run() async throws {
        signal(SIGHUP, SIG_IGN)  // until the reload handler is installed
        signal(SIGXFSZ, SIG_IGN)  // past a file-size limit a write fails (and the store says so) instead of killing Beacon
        if checkConfig {
            let reading = config.map { ConfigFile.read(path: $0) }
            throw ExitCode(await ConfigCheck(configPath: config, reading: reading, commandLine: commandLineValues).run())
        }
        var fileValues: SettingValues = [:]
        if let config {
            do {
                fileValues = try ConfigFile.load(path: config)
            } catch {
                for line in error.description.split(separator: "\n") { printError("error: \(line)") }
                throw ExitCode(1)
            }
        }
        let settings = ServeSettings(commandLine: commandLineValues, configFile: fileValues)
        try await ServeRun(settings: settings, configPath: config, commandLine: commandLineValues).run()
    }
}

/// Writes one line to standard error.
func printError(_ line: String) {
    FileHandle.standardError.write(Data((line + "\n").utf8))
}
