/// What a host function hands back.
public enum LuaHostResult: Sendable {
    /// Values returned to Lua (`.function` and `.other` become nil).
    case values([LuaValue])
    /// A message raised as a Lua error (by C, never by Swift), prefixed with the caller's
    /// `chunk:line:`; the plugin can catch it with `pcall`.
    case error(String)
    /// The answer comes later, through `call`. Meanwhile the run's coroutine is suspended and no
    /// thread waits (where Lua cannot yield, in a metamethod or a finalizer, the calling thread
    /// waits instead, at most until the run's deadline).
    case pending(LuaPendingCall)
}
