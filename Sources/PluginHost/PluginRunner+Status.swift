import Dispatch

extension PluginRunner {
    /// This plugin's entry in `/plugins`.
    func statusJSON() -> [UInt8] {
        state.withLock { state in
            var members: [(String, [UInt8])] = [
                ("name", JSONText.string(name)),
                ("schedule", JSONText.number(state.plugin.interval)),
                ("timeout", JSONText.number(state.plugin.timeout)),
                ("state", JSONText.string(Self.stateName(state))),
                ("runs", JSONText.integer(state.runs)),
                ("failures", JSONText.integer(state.failures)),
                ("skipped_ticks", JSONText.integer(state.skippedTicks)),
                ("last_event", state.lastEvent.map(JSONText.string) ?? JSONText.null),
                ("last_result", state.lastResult ?? JSONText.null),
                ("last_error", state.lastError.map { failure in
                    JSONText.object([
                        ("kind", JSONText.string(failure.kind.rawValue)),
                        ("message", JSONText.string(failure.message)),
                        ("at", state.lastErrorAt.map(JSONText.number) ?? JSONText.null),
                    ])
                } ?? JSONText.null),
                ("last_run_at", state.lastRunAt.map(JSONText.number) ?? JSONText.null),
                ("lua_memory_bytes", JSONText.integer(state.luaMemoryBytes)),
                ("last_duration_ms", state.lastDuration.map(Self.milliseconds) ?? JSONText.null),
                ("last_start_lag_ms", state.lastStartLag.map(Self.milliseconds) ?? JSONText.null),
            ]
            if state.plugin.jitter > 0 { members.append(("jitter", JSONText.number(state.plugin.jitter))) }
            if state.backoffUntil > DispatchTime.now().uptimeNanoseconds {
                let seconds = Double(state.backoffUntil - DispatchTime.now().uptimeNanoseconds) / 1e9
                members.append(("backoff_seconds_left", JSONText.number((seconds * 1000).rounded() / 1000)))
                members.append(("consecutive_timeouts", JSONText.integer(state.consecutiveTimeouts)))
            }
            if let pending = state.pendingLoadError {
                members.append(("load_error", JSONText.object([
                    ("kind", JSONText.string(pending.kind.rawValue)),
                    ("message", JSONText.string(pending.message)),
                ])))
            }
            return JSONText.object(members)
        }
    }

    /// Seconds as milliseconds with microsecond precision.
    private static func milliseconds(_ seconds: Double) -> [UInt8] {
        JSONText.number((seconds * 1e6).rounded() / 1e3)
    }

    /// `idle`, `queued`, `running`, `stuck` or `backoff`.
    private static func stateName(_ state: State) -> String {
        if state.stuck { return "stuck" }
        if state.phase == .idle, state.backoffUntil > DispatchTime.now().uptimeNanoseconds { return "backoff" }
        return state.phase.rawValue
    }
}
