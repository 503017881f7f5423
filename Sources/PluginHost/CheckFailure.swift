import LuaKit

/// A failed check run or load, as sent in a `check-error` event and shown in `/plugins`.
struct CheckFailure: Error, Sendable, Equatable {
    /// `error`, `timeout`, `memory`, `bad-result`, `load`, …
    var kind: String
    var message: String

    /// The event name failures are sent under.
    static let eventName = "check-error"

    init(kind: String, message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ error: LuaError) {
        self.init(kind: error.kind.rawValue, message: error.message)
    }

    /// `{"plugin":NAME,"kind":KIND,"message":MESSAGE}`
    func eventJSON(plugin: String) -> [UInt8] {
        JSONText.object([
            ("plugin", JSONText.string(plugin)),
            ("kind", JSONText.string(kind)),
            ("message", JSONText.string(message)),
        ])
    }
}
