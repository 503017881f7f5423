import Foundation
import LuaKit

/// A failed check run or load, as sent in a `check-error` event and shown in `/plugins`.
struct CheckFailure: Error, Sendable, Equatable {
    var kind: CheckFailureKind
    var message: String

    /// The event name failures are sent under.
    static let eventName = "check-error"

    init(kind: CheckFailureKind, message: String) {
        self.kind = kind
        self.message = message
    }

    init(_ error: LuaError) {
        let kind: CheckFailureKind = switch error.kind {
        case .timeout: .timeout
        case .memory: .memory
        case .badResult: .badResult
        case .error, .syntax: .error
        }
        self.init(kind: kind, message: error.message)
    }

    /// `{"plugin":NAME,"kind":KIND,"message":MESSAGE}`
    func eventJSON(plugin: String) -> [UInt8] {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Three strings always encode.
        let data = (try? encoder.encode(Event(plugin: plugin, kind: kind, message: message))) ?? Data()
        return Array(data)
    }

    /// The data of a `check-error` event.
    private struct Event: Encodable {
        var plugin: String
        var kind: CheckFailureKind
        var message: String
    }
}
