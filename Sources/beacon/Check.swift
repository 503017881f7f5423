import ArgumentParser
import Foundation
import PluginHost

/// `beacon check FILE.lua [--watch]`
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load one plugin, run check_status() once, and print the event it would send.",
        discussion: """
            Prints `event: NAME` and `data: JSON` on success and exits 0. On a load error, a failed \
            check, a timeout or a result that cannot be sent, prints the error and exits 1. \
            With --watch, runs again every time the file is saved (its size, time or inode \
            changes; looked at every 250 ms) until Ctrl-C, and exits 0.
            """
    )

    @Argument(help: "The plugin file, NAME.lua.")
    var file: String

    @Flag(help: "Run again on every save of the file, until Ctrl-C.")
    var watch = false

    @OptionGroup var limits: PluginLimitOptions

    func run() throws {
        let directory = (file as NSString).deletingLastPathComponent
        let configuration = ServeSettings(commandLine: limits.values).hostConfiguration(directory: directory)
        if watch {
            CheckWatch(file: file, configuration: configuration).run()
            return
        }
        if !Check.runOnce(file: file, configuration: configuration) { throw ExitCode(1) }
    }

    /// Runs the check once and prints the event, or the error on standard error. True on success.
    static func runOnce(file: String, configuration: PluginHostConfiguration) -> Bool {
        let result = SingleCheck.run(path: file, configuration: configuration) { line in printError(line) }
        switch result {
        case .success(let output):
            print("event: \(output.event)")
            print("data: \(String(decoding: output.json, as: UTF8.self))")
            if let line = output.statusLine { print(line) }
            fflush(nil)
            return true
        case .failure(let error):
            printError("error: \(error.message)")
            print("status: unknown")
            fflush(nil)
            return false
        }
    }
}
