import ArgumentParser
import Foundation
import PluginHost

/// `beacon check FILE.lua`
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load one plugin, run check_status() once, and print the event it would send.",
        discussion: """
            Prints `event: NAME` and `data: JSON` on success and exits 0. On a load error, a failed \
            check, a timeout or a result that cannot be sent, prints the error and exits 1.
            """
    )

    @Argument(help: "The plugin file, NAME.lua.")
    var file: String

    @OptionGroup var limits: PluginLimitOptions

    func run() throws {
        let configuration = limits.hostConfiguration(directory: (file as NSString).deletingLastPathComponent)
        let result = SingleCheck.run(path: file, configuration: configuration) { line in
            FileHandle.standardError.write(Data((line + "\n").utf8))
        }
        switch result {
        case .success(let output):
            print("event: \(output.event)")
            print("data: \(String(decoding: output.json, as: UTF8.self))")
        case .failure(let error):
            FileHandle.standardError.write(Data(("error: \(error.message)\n").utf8))
            throw ExitCode(1)
        }
    }
}
