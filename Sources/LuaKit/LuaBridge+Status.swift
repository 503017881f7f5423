import CLua

extension LuaBridge {
    /// `beacon.status(level [, summary])`: sets the level of the run in progress (the last call
    /// wins) and returns nothing. Raises a Lua error (catchable with `pcall`) on a level other than
    /// the four, a summary that is not a string, or a call outside a run.
    func status(_ state: OpaquePointer) -> Int32 {
        guard let run else {
            return raise("beacon.status is only available while check_status() runs (not at the script's top level)")
        }
        let allowed = StatusLevel.allowedList
        guard lua_type(state, 1) == LUA_TSTRING else {
            let got = LuaStack.typeName(state, lua_type(state, 1))
            return raise("beacon.status: the level must be \(allowed), got \(got)")
        }
        let text = LuaStack.string(state, 1)
        guard let level = StatusLevel(rawValue: text) else {
            let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
            return raise("beacon.status: the level must be \(allowed), got \"\(shown)\"")
        }
        var summary: String?
        switch lua_type(state, 2) {
        case LUA_TNONE, LUA_TNIL:
            summary = nil
        case LUA_TSTRING:
            summary = LuaStack.string(state, 2)
        case let type:
            return raise("beacon.status: the summary must be a string, got \(LuaStack.typeName(state, type))")
        }
        run.status = StatusReport(level: level, summary: summary)
        context.pointee.pushed = 0
        return Int32(BEACON_CALL_PUSHED)
    }
}
