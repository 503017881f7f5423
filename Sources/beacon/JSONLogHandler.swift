#if canImport(Glibc)
import EventHub
import Glibc
#endif
import Logging
import Synchronization

/// Writes each log event to standard error as one JSON object on one line:
/// `{"time":"2026-01-02T03:04:05.678Z","level":"info","label":"beacon","message":"...","metadata":{...}}`.
/// `time` is UTC with milliseconds; `metadata` is always an object (empty when there is none),
/// its nested values become nested JSON, and integers, floats and booleans logged as
/// `.stringConvertible` stay JSON numbers and booleans.
struct JSONLogHandler: LogHandler {
    let label: String
    private let level: LiveLogLevel
    /// Set when code changes one logger's level itself; it then no longer follows the live level.
    private var ownLevel: Logger.Level?
    var metadata: Logger.Metadata = [:]
    var metadataProvider: Logger.MetadataProvider?

    init(label: String, level: LiveLogLevel) {
        self.label = label
        self.level = level
    }

    var logLevel: Logger.Level {
        get { ownLevel ?? level.value }
        set { ownLevel = newValue }
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { _, new in new } }
        if let explicit = event.metadata { merged.merge(explicit) { _, new in new } }
        if let error = event.error { merged["error"] = "\(error)" }

        var line = "{"
        line += "\"time\":" + JSONLogHandler.quoted(JSONLogHandler.timestamp())
        line += ",\"level\":" + JSONLogHandler.quoted(event.level.rawValue)
        line += ",\"label\":" + JSONLogHandler.quoted(label)
        line += ",\"message\":" + JSONLogHandler.quoted(event.message.description)
        line += ",\"metadata\":" + JSONLogHandler.json(.dictionary(merged))
        line += "}\n"
        JSONLogHandler.write(line)
    }

    // MARK: - Encoding

    static func json(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let text):
            return quoted(text)
        case .stringConvertible(let item):
            return scalar(item)
        case .array(let items):
            return "[" + items.map(json).joined(separator: ",") + "]"
        case .dictionary(let entries):
            let members = entries.sorted { $0.key < $1.key }.map { quoted($0.key) + ":" + json($0.value) }
            return "{" + members.joined(separator: ",") + "}"
        }
    }

    /// Numbers and booleans as themselves, anything else as its description in a string.
    private static func scalar(_ item: any CustomStringConvertible & Sendable) -> String {
        switch item {
        case let flag as Bool: return flag ? "true" : "false"
        case let number as any BinaryInteger: return number.description
        case let number as Double where number.isFinite: return number.description
        case let number as Float where number.isFinite: return number.description
        default: return quoted(item.description)
        }
    }

    /// A JSON string literal (the same escaping as every JSON body Beacon writes).
    static func quoted(_ text: String) -> String { JSONText.quoted(text) }

    // MARK: - Output

    /// Now, in UTC: `2026-01-02T03:04:05.678Z`.
    static func timestamp() -> String {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        var seconds = now.tv_sec
        var parts = tm()
        gmtime_r(&seconds, &parts)
        func padded(_ value: Int32, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return padded(parts.tm_year + 1900, 4) + "-" + padded(parts.tm_mon + 1, 2) + "-" + padded(parts.tm_mday, 2)
            + "T" + padded(parts.tm_hour, 2) + ":" + padded(parts.tm_min, 2) + ":" + padded(parts.tm_sec, 2)
            + "." + padded(Int32(now.tv_nsec / 1_000_000), 3) + "Z"
    }

    /// One line at a time, so lines from different threads never interleave, straight to the
    /// file descriptor (no stdio buffer that a crash could lose).
    private static let writeLock = Mutex(())

    private static func write(_ line: String) {
        var line = line
        writeLock.withLock { _ in
            line.withUTF8 { bytes in
                var offset = 0
                while offset < bytes.count {
                    let written = Glibc.write(STDERR_FILENO, bytes.baseAddress! + offset, bytes.count - offset)
                    if written < 0 && errno == EINTR { continue }
                    guard written > 0 else { return }
                    offset += written
                }
            }
        }
    }
}
