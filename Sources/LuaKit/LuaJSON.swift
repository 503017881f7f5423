/// JSON helpers with the same rules as results (used by `beacon.json` and by tests).
public enum LuaJSON {
    /// Encodes a value as compact JSON.
    public static func encode(_ value: LuaValue) throws(LuaError) -> [UInt8] {
        throw LuaError(kind: .badResult, message: "not implemented")
    }

    /// Decodes JSON text into a value.
    public static func decode(_ bytes: [UInt8]) throws(LuaError) -> LuaValue {
        throw LuaError(kind: .error, message: "not implemented")
    }
}
