import CLua

extension LuaBridge {
    /// `beacon.wait(h1, ...)`, with the handles (checked by C) on `state`: when every handle's
    /// function has ended, returns with one handle all that its function returned, with several
    /// the first value of each (nil for none); raises the error of the first handle (in order)
    /// whose function raised one. Until then the calling thread is suspended.
    func wait(_ state: OpaquePointer, canYield: Bool) -> Int32 {
        guard let run, let caller = run.current else {
            return raise("beacon.wait is only available while check_status() runs")
        }
        let count = lua_gettop(state)
        var threads: [LuaRunThread] = []
        for slot in 1...max(1, count) {
            guard let raw = lua_touserdata(state, slot) else { return raise("bad argument #\(slot) to 'wait' (a handle expected)") }
            let id = raw.load(as: Int64.self)
            guard let thread = run.spawned[id] else {
                return raise("beacon.wait: handle \(id) is not from this run (a handle is good for the run that made it)")
            }
            guard thread !== caller else { return raise("beacon.wait: a function cannot wait for its own handle") }
            threads.append(thread)
        }
        guard threads.allSatisfy(\.isDone) else {
            guard canYield else {
                return raise("""
                    beacon.wait cannot wait here (inside a metamethod, a comparison for table.sort, a callback \
                    of string.gsub, a finalizer, or a coroutine resumed from one of these); call it from \
                    check_status(), a function given to beacon.spawn, or a coroutine they resume
                    """)
            }
            caller.waitingFor = threads.map(\.id)
            return Int32(BEACON_CALL_YIELD)
        }
        for thread in threads {
            if case .failed(let message) = thread.phase { return raiseAsIs(message) }
        }
        if threads.count == 1, case .finished(let results) = threads[0].phase {
            return push(all: results, of: threads[0].state, onto: state)
        }
        guard lua_checkstack(state, Int32(threads.count) + 2) != 0 else { return raise("beacon.wait: too many handles") }
        for thread in threads {
            if case .finished(let results) = thread.phase, results > 0 {
                guard push(first: results, of: thread.state, onto: state) else { return raise("beacon.wait: out of stack") }
            } else {
                lua_pushnil(state)
            }
        }
        context.pointee.pushed = Int32(threads.count)
        return Int32(BEACON_CALL_PUSHED)
    }

    /// Copies the `count` results on top of `thread` onto `state` (they stay on `thread`, so a
    /// handle can be waited for again).
    private func push(all count: Int32, of thread: OpaquePointer, onto state: OpaquePointer) -> Int32 {
        guard count > 0 else {
            context.pointee.pushed = 0
            return Int32(BEACON_CALL_PUSHED)
        }
        guard lua_checkstack(thread, count + 2) != 0, lua_checkstack(state, count + 2) != 0 else {
            return raise("beacon.wait: too many results")
        }
        let first = lua_gettop(thread) - count + 1
        for index in first..<(first + count) { lua_pushvalue(thread, index) }
        lua_xmove(thread, state, count)
        context.pointee.pushed = count
        return Int32(BEACON_CALL_PUSHED)
    }

    /// Copies the first of the `count` results on top of `thread` onto `state`.
    private func push(first count: Int32, of thread: OpaquePointer, onto state: OpaquePointer) -> Bool {
        guard lua_checkstack(thread, 2) != 0 else { return false }
        lua_pushvalue(thread, lua_gettop(thread) - count + 1)
        lua_xmove(thread, state, 1)
        return true
    }
}
