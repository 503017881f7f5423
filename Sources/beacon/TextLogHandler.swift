import Logging

/// swift-log's `StreamLogHandler` on standard error, at the process's live level.
struct TextLogHandler: LogHandler {
    private var stream: StreamLogHandler
    private let level: LiveLogLevel
    /// Set when code changes one logger's level itself; it then no longer follows the live level.
    private var ownLevel: Logger.Level?

    init(label: String, level: LiveLogLevel) {
        stream = StreamLogHandler.standardError(label: label)
        stream.logLevel = .trace  // the level is checked here, before the event reaches the stream
        self.level = level
    }

    var logLevel: Logger.Level {
        get { ownLevel ?? level.value }
        set { ownLevel = newValue }
    }

    var metadata: Logger.Metadata {
        get { stream.metadata }
        set { stream.metadata = newValue }
    }

    var metadataProvider: Logger.MetadataProvider? {
        get { stream.metadataProvider }
        set { stream.metadataProvider = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { stream[metadataKey: key] }
        set { stream[metadataKey: key] = newValue }
    }

    func log(event: LogEvent) {
        stream.log(event: event)
    }
}
