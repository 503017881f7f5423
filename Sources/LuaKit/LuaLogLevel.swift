/// Level of a message logged by a plugin.
public enum LuaLogLevel: String, Sendable {
    case debug, info, warning, error
}
