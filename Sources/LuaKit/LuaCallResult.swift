/// What `check_status()` returned, already encoded.
public struct LuaCallResult: Sendable {
    /// The first return value as compact JSON (UTF-8).
    public var json: [UInt8]
    /// The second return value, `.nil` when absent.
    public var second: LuaValue

    /// Creates a result.
    public init(json: [UInt8], second: LuaValue) {
        self.json = json
        self.second = second
    }
}
