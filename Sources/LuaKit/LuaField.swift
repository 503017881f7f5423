/// One string-keyed entry of a `LuaValue.table`.
public struct LuaField: Sendable, Equatable {
    public var key: String
    public var value: LuaValue

    /// Creates a field.
    public init(key: String, value: LuaValue) {
        self.key = key
        self.value = value
    }
}
