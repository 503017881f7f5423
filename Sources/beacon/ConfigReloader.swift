import Logging
import Synchronization

/// Re-reads the config file on SIGHUP and applies what can change while running: the log
/// level. Every other setting shaped something built once at start (the listening socket, the
/// plugin host, the event hub), so a change to it is logged as a warning until Beacon restarts.
final class ConfigReloader: Sendable {
    private let path: String?
    private let commandLine: SettingValues
    private let level: LiveLogLevel
    private let logger: Logger
    /// The settings in effect: those of the start, with live settings as last applied.
    private let running: Mutex<ServeSettings>

    init(path: String?, commandLine: SettingValues, running: ServeSettings, level: LiveLogLevel, logger: Logger) {
        self.path = path
        self.commandLine = commandLine
        self.running = Mutex(running)
        self.level = level
        self.logger = logger
    }

    /// Reads the file again. A file with problems changes nothing; the problems are logged.
    func reload() {
        guard let path else { return }
        let fileValues: SettingValues
        do {
            fileValues = try ConfigFile.load(path: path)
        } catch {
            logger.error(
                "config file not reloaded, the running settings are kept: \(error.problems.joined(separator: "; "))",
                metadata: ["config": .string(path), "problems": .array(error.problems.map { .string($0) })])
            return
        }
        let wanted = ServeSettings(commandLine: commandLine, configFile: fileValues)
        let before = running.withLock { $0 }
        let changed = wanted.keysDiffering(from: before)
        let live = changed.filter(\.appliesOnReload)
        let pending = changed.filter { !$0.appliesOnReload }

        if live.contains(.logLevel) {
            level.value = wanted.logLevel
            running.withLock { $0 = $0.replacing(.logLevel, with: wanted[.logLevel]) }
        }
        let applied = live.map { "\($0.rawValue) \(before[$0]) -> \(wanted[$0])" }
        logger.info(
            "config file reloaded: \(applied.isEmpty ? "no live setting changed" : applied.joined(separator: ", "))",
            metadata: ["config": .string(path), "applied": .array(live.map { .string($0.rawValue) })])
        if !pending.isEmpty {
            let list = pending.map { "\($0.rawValue) (running \(before[$0]), file says \(wanted[$0]))" }
            logger.warning(
                "config file changes that need a restart to take effect: \(list.joined(separator: ", "))",
                metadata: ["config": .string(path), "restart_needed": .array(pending.map { .string($0.rawValue) })])
        }
    }
}
