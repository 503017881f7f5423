/// What a host function hands back.
public enum LuaHostResult: Sendable {
    /// Values returned to Lua (`.function` and `.other` become nil).
    case values([LuaValue])
    /// A message raised as a Lua error (by C, never by Swift), prefixed with the caller's
    /// `chunk:line:`; the plugin can catch it with `pcall`.
    case error(String)
}
