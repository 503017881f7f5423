/// A typed failure with a message a plugin author can act on. Where Lua knows it, the message
/// names the chunk and line (`disk.lua:12: attempt to index a nil value (global 'x')`).
public struct LuaError: Error, Sendable, CustomStringConvertible, Equatable {
    /// What went wrong, broadly.
    public enum Kind: String, Sendable {
        /// The source did not compile (or was not text).
        case syntax
        /// Lua code raised an error.
        case error
        /// The deadline passed.
        case timeout
        /// The state's memory cap was reached.
        case memory
        /// The value returned could not be encoded (function, cycle, NaN, nil, too large…).
        case badResult = "bad-result"
    }

    /// What went wrong, broadly.
    public var kind: Kind
    /// The message, e.g. `disk.lua:12: attempt to index a nil value (global 'x')`.
    public var message: String
    /// Lua's traceback, when there is one.
    public var traceback: String?

    /// Creates an error.
    public init(kind: Kind, message: String, traceback: String? = nil) {
        self.kind = kind
        self.message = message
        self.traceback = traceback
    }

    /// `kind: message` (the traceback is kept separate).
    public var description: String {
        "\(kind.rawValue): \(message)"
    }
}
