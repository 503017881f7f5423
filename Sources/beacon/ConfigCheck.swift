import Foundation
import Logging
import PluginHost

/// `beacon serve --check-config`: checks the config file and the command line, then loads every
/// plugin the way the server would (each script's top level runs; no server starts and the
/// results of any check that fires meanwhile are dropped), and lists every problem found.
/// For CI pipelines and for `ExecStartPre=` before a restart.
struct ConfigCheck {
    let configPath: String?
    /// The config file as read; nil when there is none.
    let reading: ConfigFile.Reading?
    let commandLine: SettingValues

    /// Prints the problems (standard error) or a short summary (standard output); returns the exit status.
    func run() async -> Int32 {
        var problems: [String] = []
        if let configPath, let reading {
            problems += reading.problems.map { "\(configPath): \($0)" }
        }
        let settings = ServeSettings(commandLine: commandLine, configFile: reading?.values ?? [:])

        if let problem = StoreSetup.problem(settings.store, passwordFile: settings.storePasswordFile) { problems.append(problem) }

        // Without a usable `plugins` setting the folder checked would not be the one meant.
        let folderUnknown = commandLine[.plugins] == nil && reading?.unusable.contains(.plugins) == true
        var summary: ReloadSummary?
        if folderUnknown {
            problems.append("plugins not checked: the config file does not say which folder (see above)")
        } else {
            let (loaded, folderProblem) = await loadPlugins(settings)
            summary = loaded
            if let folderProblem { problems.append(folderProblem) }
            problems += loaded?.failed.map(\.description) ?? []
            for (entry, reason) in loaded?.ignored ?? [] {
                printError("warning: \(settings.plugins)/\(entry) is ignored: \(reason)")
            }
        }

        guard problems.isEmpty else {
            for problem in problems { printError("error: \(problem)") }
            printError("\(problems.count) problem\(problems.count == 1 ? "" : "s") found")
            return 1
        }
        let names = summary?.added ?? []
        let source = configPath.map { "config \($0) OK; " } ?? ""
        print("\(source)\(names.count) plugin\(names.count == 1 ? "" : "s") in \(settings.plugins) loaded: "
              + (names.isEmpty ? "none" : names.joined(separator: ", ")))
        return 0
    }

    /// Loads every plugin in a fresh Lua state and closes it again; no check runs.
    private func loadPlugins(_ settings: ServeSettings) async -> (ReloadSummary?, String?) {
        let quiet = Logger(label: "beacon.check-config") { _ in SwiftLogNoOpLogHandler() }
        let host = PluginHost(configuration: settings.hostConfiguration, sink: DiscardingSink(), logger: quiet)
        do {
            return (try await host.validate(), nil)
        } catch {
            return (nil, "\(error.description)")
        }
    }
}
