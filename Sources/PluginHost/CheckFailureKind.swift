/// Why a check run or a plugin load failed; the raw value is the `kind` users see in
/// `check-error` events, `/plugins` and `/metrics`.
public enum CheckFailureKind: String, Sendable, Encodable {
    /// The check raised an error (or the script did not compile, at load).
    case error
    /// A run outlived its timeout, or a script's top level its load timeout.
    case timeout
    /// The plugin's Lua state reached its memory cap.
    case memory
    /// The check returned something that cannot be an event.
    case badResult = "bad-result"
    /// A changed file did not load; the previous version keeps running.
    case load
    /// A run is stuck past its timeout in a call no hook can interrupt.
    case stuck
}
