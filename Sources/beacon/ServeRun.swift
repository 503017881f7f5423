import ArgumentParser
import BeaconHTTP
import EventHub
import Foundation
import Logging
import PluginHost
import ServiceLifecycle
import UnixSignals
import PostgresEventStore

/// One run of `beacon serve`: opens the store, starts the plugin host, then runs the store writer,
/// the HTTP server, the plugin host and SIGHUP reloads as services of one `ServiceGroup`, which
/// stops them on SIGTERM/SIGINT.
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
            storage = try StoreSetup.open(
                settings.store, retentionSeconds: settings.retentionSeconds, passwordFile: settings.storePasswordFile, logger: logger)
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        // With a PostgreSQL store this node is one of a cluster: the hub's events come from the store.
        let cluster: ClusterRun?
        let hub: EventHub
        var hostConfiguration = settings.hostConfiguration
        if let storage, let shared = storage.store as? PostgresEventStore {
            hub = EventHub(configuration: settings.hubConfiguration, committedTo: storage)
            cluster = ClusterRun(store: shared, hub: hub, directory: settings.plugins, logger: logger)
            hostConfiguration.mayRun = cluster?.mayRun
        } else {
            hub = EventHub(configuration: settings.hubConfiguration, storage: storage)
            cluster = nil
        }
        let metrics = MetricsPage(hub: hub, store: storage?.writer)
        let sink: any PluginEventSink = cluster?.sink ?? HubSink(hub: hub)
        let pluginHost = PluginHost(configuration: hostConfiguration, sink: sink, logger: logger)
        pluginHost.remember(HubSink.rememberedLevels(storage?.opening))
        cluster?.attach(pluginHost)

        let summary: ReloadSummary
        do {
            summary = try await pluginHost.start()
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
                await pluginHost.stop()
                throw ExitCode(1)
            }
            logger.info("bearer tokens required: \(tokens.count) read from \(tokenFile)")
        }
        let server = BeaconServer(
            configuration: settings.serverConfiguration(tokens: tokens), hub: hub,
            status: HostStatus(host: pluginHost, metrics: metrics, hub: hub, cluster: cluster), logger: logger)
        let config = ConfigReloader(
            path: configPath, commandLine: commandLine, running: settings, level: level, logger: logger)

        // Started in this order; on SIGTERM or SIGINT stopped in the reverse one: SIGHUP handling,
        // then the plugins (their last runs may still publish), then the streams and the server,
        // then the store writer (which writes what they published).
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let writer = storage?.writer {
            services.append(.init(
                service: StoreWriterService(writer: writer, shutdownTimeout: settings.shutdownTimeout, logger: logger),
                serviceName: "store-writer"))
        }
        services.append(.init(
            service: HTTPServerService(
                server: server, hub: hub, host: settings.host, port: settings.port, logger: logger,
                listening: { host, port in
                    cluster?.start(
                        name: settings.nodeName.isEmpty ? "\(ProcessInfo.processInfo.hostName):\(port)" : settings.nodeName,
                        address: "http://\(host):\(port)")
                }),
            serviceName: "http-server"))
        if let cluster {
            services.append(.init(
                service: ClusterService(cluster: cluster, shutdownTimeout: settings.shutdownTimeout, logger: logger),
                serviceName: "cluster"))
        }
        services.append(.init(
            service: PluginHostService(host: pluginHost, shutdownTimeout: settings.shutdownTimeout, logger: logger),
            serviceName: "plugin-host"))
        services.append(.init(
            service: ReloadService(
                signals: await UnixSignalsSequence(trapping: .sighup), config: config, pluginHost: pluginHost,
                configPath: configPath, pluginsPath: settings.plugins, logger: logger,
                reloaded: { cluster?.refreshPlugins() }),
            serviceName: "sighup-reload"))
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch {
            logger.critical("\(error)")
            throw ExitCode(1)
        }
        logger.info("stopped")
    }
}
