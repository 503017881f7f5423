import Dispatch

extension PluginRunner {
    /// This plugin's entry in `/plugins`.
    func status() -> PluginStatus {
        state.withLock { state in
            let now = DispatchTime.now().uptimeNanoseconds
            let backingOff = state.backoffUntil > now
            let runs = PluginStatus.Runs(
                schedule: state.plugin.interval,
                timeout: state.plugin.timeout,
                runs: state.runs,
                failures: state.failures,
                skippedTicks: state.skippedTicks,
                lastEvent: state.lastEvent,
                lastResult: state.lastResult.flatMap { JSONValue(json: $0) },
                lastError: state.lastError.map { failure in
                    PluginStatus.ErrorInfo(kind: failure.kind.rawValue, message: failure.message, at: state.lastErrorAt)
                },
                lastRunAt: state.lastRunAt,
                luaMemoryBytes: state.luaMemoryBytes,
                lastDurationMilliseconds: state.lastDuration.map(Self.milliseconds),
                lastStartLagMilliseconds: state.lastStartLag.map(Self.milliseconds),
                jitter: state.plugin.jitter,
                backoffSecondsLeft: backingOff
                    ? (Double(state.backoffUntil - now) / 1e9 * 1000).rounded() / 1000 : nil,
                consecutiveTimeouts: backingOff ? state.consecutiveTimeouts : nil)
            return PluginStatus(
                name: name,
                state: Self.stateName(state),
                runs: runs,
                loadError: state.pendingLoadError.map {
                    PluginStatus.ErrorInfo(kind: $0.kind.rawValue, message: $0.message, at: nil)
                },
                level: state.level)
        }
    }

    /// Seconds as milliseconds with microsecond precision.
    private static func milliseconds(_ seconds: Double) -> Double {
        (seconds * 1e6).rounded() / 1e3
    }

    /// `idle`, `queued`, `running`, `stuck` or `backoff`.
    private static func stateName(_ state: State) -> String {
        if state.stuck { return "stuck" }
        if state.phase == .idle, state.backoffUntil > DispatchTime.now().uptimeNanoseconds { return "backoff" }
        return state.phase.rawValue
    }
}
