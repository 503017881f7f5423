/// What `check_status()` returned, already encoded.
public struct LuaCallResult: Sendable {
    /// The first return value as compact JSON (UTF-8).
    public var json: [UInt8]
    /// The second return value, `.nil` when absent.
    public var second: LuaValue
    /// The level the run set with `beacon.status`, nil when it set none.
    public var status: StatusReport?

    /// Creates a result.
    public init(json: [UInt8], second: LuaValue, status: StatusReport? = nil) {
        self.json = json
        self.second = second
        self.status = status
    }
}
