import Foundation
import Testing

/// The README's "Command line" section names every flag the binary's help prints, so the two cannot drift.
@Suite struct ReadmeCommandLineTests {
    /// README.md at the package root, found from this file's path.
    private static let readme: String = {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return (try? String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)) ?? ""
    }()

    /// The "## Command line" section alone.
    private static var commandLineSection: String {
        guard let start = readme.range(of: "\n## Command line\n") else { return "" }
        let rest = readme[start.upperBound...]
        let end = rest.range(of: "\n## ")?.lowerBound ?? rest.endIndex
        return String(rest[..<end])
    }

    /// Every `--flag` in a help text.
    private func flags(in help: String) -> Set<String> {
        let pattern = try! NSRegularExpression(pattern: #"(?<![\w-])--[a-z][a-z0-9-]*"#)
        let range = NSRange(help.startIndex..., in: help)
        return Set(pattern.matches(in: help, range: range).compactMap { Range($0.range, in: help).map { String(help[$0]) } })
    }

    @Test(arguments: [["serve", "--help"], ["check", "--help"]])
    func everyFlagOfTheHelpIsInTheReadme(arguments: [String]) throws {
        #expect(!Self.commandLineSection.isEmpty, "README.md has a \"## Command line\" section")
        let help = try BeaconCommand.run(arguments)
        #expect(help.status == 0)
        let printed = flags(in: help.output)
        #expect(printed.count >= 2, "help lists flags:\n\(help.output)")
        let documented = flags(in: Self.commandLineSection)
        for flag in printed.sorted() {
            #expect(documented.contains(flag), "beacon \(arguments[0]) --help prints \(flag); README's Command line section lacks it")
        }
    }
}
