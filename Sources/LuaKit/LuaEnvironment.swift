/// What the host gives a sandbox: logging, a library folder for `require`, extra functions.
public struct LuaEnvironment: Sendable {
    /// Receives `print(...)` (level info) and `beacon.log(level, msg)`.
    public var log: @Sendable (LuaLogLevel, String) -> Void
    /// Folder `require` may load Lua modules from (e.g. plugins/lib); nil = `require` unavailable.
    public var libraryDirectory: String?
    /// Extra functions installed as `beacon.<path>`, e.g. `["http.get": fn, "exec": fn]`.
    public var hostFunctions: [String: LuaHostFunction]

    /// Creates an environment.
    public init(
        log: @escaping @Sendable (LuaLogLevel, String) -> Void = { _, _ in },
        libraryDirectory: String? = nil,
        hostFunctions: [String: LuaHostFunction] = [:]
    ) {
        self.log = log
        self.libraryDirectory = libraryDirectory
        self.hostFunctions = hostFunctions
    }
}
