import Foundation

/// Independent JSON validation (Foundation's parser, not Beacon's), for bodies and results.
enum JSONCheck {
    /// Whether `bytes` is one complete JSON text (any value at top level).
    static func isValid(_ bytes: [UInt8]) -> Bool {
        (try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])) != nil
    }

    /// The parsed value, or nil when `bytes` is not JSON.
    static func parse(_ bytes: [UInt8]) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed])
    }
}
