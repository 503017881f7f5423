import Logging

/// Bootstraps swift-log once for the process: the chosen format, at a level that can change later.
enum LogSetup {
    static func bootstrap(format: LogFormat, level: LiveLogLevel) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text: TextLogHandler(label: label, level: level)
            case .json: JSONLogHandler(label: label, level: level)
            }
        }
    }
}
