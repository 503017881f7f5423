/// Names that cross into the wire format: plugin names (from file names) and event names.
enum PluginName {
    /// A plugin's name is its file name without `.lua`: `[A-Za-z0-9_-]+`.
    static func isValid(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") }
    }

    /// An event name a check may return as its second value: `[A-Za-z0-9_.-]+`.
    static func isValidEventName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= 64
            && name.utf8.allSatisfy {
                isAlphanumeric($0) || $0 == UInt8(ascii: "_") || $0 == UInt8(ascii: "-") || $0 == UInt8(ascii: ".")
            }
    }

    /// Event names Beacon itself sends; a check may not claim them.
    static let reservedEventNames: Set<String> = ["check-error", "done", "status-change"]

    private static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= UInt8(ascii: "a") && byte <= UInt8(ascii: "z"))
            || (byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z"))
            || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9"))
    }
}
