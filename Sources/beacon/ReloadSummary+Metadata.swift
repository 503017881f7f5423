import Logging
import PluginHost

extension ReloadSummary {
    /// The summary's lists as log metadata, so JSON log lines carry them as arrays:
    /// `added`, `changed`, `removed`, `failed` (file names), and `unchanged` and `ignored` (counts).
    var metadata: Logger.Metadata {
        func names(_ list: [String]) -> Logger.Metadata.Value { .array(list.map { .string($0) }) }
        var metadata: Logger.Metadata = [
            "added": names(added),
            "changed": names(changed),
            "removed": names(removed),
            "failed": names(failed.map(\.file)),
            "unchanged": .stringConvertible(unchanged.count),
            "ignored": .stringConvertible(ignored.count),
        ]
        if let folderError { metadata["folder_error"] = .string(folderError.description) }
        return metadata
    }
}
