import Logging
import Synchronization

/// The log level every handler of the process reads on each log call, so that SIGHUP can change
/// it for loggers that already exist (the plugin host and the server keep their own copies).
final class LiveLogLevel: Sendable {
    private let level: Mutex<Logger.Level>

    init(_ level: Logger.Level) { self.level = Mutex(level) }

    var value: Logger.Level {
        get { level.withLock { $0 } }
        set { level.withLock { $0 = newValue } }
    }
}
