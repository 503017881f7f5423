/// What a start or reload did, for the log line that summarises it.
public struct ReloadSummary: Sendable, CustomStringConvertible {
    public var added: [String] = []
    public var changed: [String] = []
    public var removed: [String] = []
    public var unchanged: [String] = []
    /// Plugins whose file did not load, with the reason.
    public var failed: [PluginLoadError] = []
    /// Files in the folder that are not plugins, with the reason.
    public var ignored: [(entry: String, reason: String)] = []
    /// Set when the folder itself could not be read; the running plugins were kept.
    public var folderError: PluginFolderError?

    public var description: String {
        func list(_ names: [String]) -> String { names.isEmpty ? "none" : names.joined(separator: ", ") }
        return "added: \(list(added)); changed: \(list(changed)); removed: \(list(removed)); "
            + "failed: \(list(failed.map(\.file))); unchanged: \(unchanged.count)"
    }
}
