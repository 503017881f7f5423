import Foundation

/// The committed inputs of a fuzz target: its seed corpus and every crash ever found.
enum FuzzInputs {
    /// The fuzz package's folder, found from this file's place in it.
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// Paths relative to the package, e.g. `Corpus/routing/stream`, sorted; READMEs excluded.
    static func files(target: String) -> [String] {
        ["Corpus", "Regressions"].flatMap { folder in self.files(in: "\(folder)/\(target)") }
    }

    static func files(in folder: String) -> [String] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: self.packageRoot.appendingPathComponent(folder).path)) ?? []
        return names.filter { !$0.hasPrefix(".") && $0 != "README.md" }.sorted().map { "\(folder)/\($0)" }
    }

    static func exists(_ path: String) -> Bool {
        FileManager.default.fileExists(atPath: self.packageRoot.appendingPathComponent(path).path)
    }

    static func bytes(_ path: String) throws -> [UInt8] {
        Array(try Data(contentsOf: self.packageRoot.appendingPathComponent(path)))
    }
}
