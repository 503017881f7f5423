import ArgumentParser
import BeaconHTTP
import EventHub
import Foundation
import Logging
import PluginHost

/// One run of `beacon serve`: wires the plugin host, the event hub and the HTTP server, reloads
/// on SIGHUP and stops on SIGTERM/SIGINT.
struct ServeRun {
    let settings: ServeSettings
    /// The config file, re-read on SIGHUP; nil when none was given.
    let configPath: String?
    /// What the command line set, which keeps winning over the file on every reload.
    let commandLine: SettingValues

    func run() async throws {
        let level = LiveLogLevel(settings.logLevel)
        LogSetup.bootstrap(format: settings.logFormat, level: level)
        let logger = Logger(label: "beacon")
        if let configPath { logger.info("config file: \(configPath)") }

        let storage: HubStorage?
        do {
            storage = try StoreSetup.open(settings.store, retentionSeconds: settings.retentionSeconds, logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        let hub = EventHub(configuration: settings.hubConfiguration, storage: storage)
        let metrics = MetricsPage(hub: hub, store: storage?.writer)
        let pluginHost = PluginHost(configuration: settings.hostConfiguration, sink: HubSink(hub: hub), logger: logger)

        let summary: ReloadSummary
        do {
            summary = try pluginHost.start()
        } catch {
            logger.critical("\(error.description); create it or pass --plugins DIR")
            throw ExitCode(1)
        }
        logger.info("plugins loaded: \(summary)", metadata: summary.metadata)

        var tokens: [String] = []
        if let tokenFile = settings.tokenFile {
            switch TokenFile.read(path: tokenFile) {
            case .success(let read): tokens = read
            case .failure(let problem):
                logger.critical("\(problem)")
                pluginHost.stop()
                throw ExitCode(1)
            }
            logger.info("bearer tokens required: \(tokens.count) read from \(tokenFile)")
        }
        let server = BeaconServer(
            configuration: settings.serverConfiguration(tokens: tokens), hub: hub, status: HostStatus(host: pluginHost, metrics: metrics, hub: hub), logger: logger)
        let boundPort: Int
        do {
            boundPort = try await server.start()
        } catch {
            logger.critical("cannot listen on \(settings.host):\(settings.port): \(error)")
            pluginHost.stop()
            throw ExitCode(1)
        }
        let shownHost = settings.host.contains(":") ? "[\(settings.host)]" : settings.host
        logger.info("listening on http://\(shownHost):\(boundPort)")

        let config = ConfigReloader(
            path: configPath, commandLine: commandLine, running: settings, level: level, logger: logger)
        let signals = SignalWatcher()
        signals.onReload = { [plugins = settings.plugins] in
            logger.info("SIGHUP: reloading \(configPath.map { "\($0) and " } ?? "")\(plugins)")
            config.reload()
            pluginHost.requestReload { summary in logger.info("reload done: \(summary)", metadata: summary.metadata) }
        }
        let signal = await signals.waitForTermination()
        logger.info("\(signal): shutting down")
        if !pluginHost.stop(reason: "shutdown", timeout: settings.shutdownTimeout) {
            logger.warning("some checks were still running after \(settings.shutdownTimeout) s; exiting without them")
        }
        hub.shutdown(reason: "shutdown")
        try await server.shutdown()
        if let writer = storage?.writer {
            let unwritten = writer.close(timeout: settings.shutdownTimeout)
            if unwritten > 0 { logger.error("\(unwritten) events could not be written to the event store before exiting") }
        }
        logger.info("stopped")
    }
}
