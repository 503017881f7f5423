import Dispatch
import Foundation
import Logging
import LuaKit
import Synchronization

/// Runs one plugin: its runs (one at a time, on the scheduler's threads), its timer, its counters,
/// and a serial queue that closes the Lua states it no longer needs. Survives reloads that change
/// the script: the new version takes over from the next run, so subscribers and counters carry on.
final class PluginRunner: Sendable {
    /// What `/plugins` shows about a run in progress.
    enum Phase: String, Sendable { case idle, queued, running }

    /// Consecutive timeouts after which a plugin is backed off.
    static let timeoutsBeforeBackoff = 3
    /// The longest back-off, unless the interval itself is longer.
    static let maximumBackoff = 300.0

    struct State {
        var plugin: LoadedPlugin
        var timer: PluginTimer?
        var phase: Phase = .idle
        var runStartedAt: UInt64 = 0
        var runs = 0
        var failures = 0
        var skippedTicks = 0
        var lastEvent: String?
        var lastResult: [UInt8]?
        var lastError: CheckFailure?
        var lastErrorAt: Double?
        var lastRunAt: Double?
        var lastDuration: Double?
        var luaMemoryBytes = 0
        var pendingLoadError: CheckFailure?
        var stopped = false
        /// The run in progress outlived its deadline inside a call no hook can interrupt.
        var stuck = false
        /// The scheduler slot of the run in progress was handed back early (the run is stuck).
        var slotReleased = false
        var consecutiveTimeouts = 0
        /// No run starts before this (monotonic ns) while backing off.
        var backoffUntil: UInt64 = 0
        /// Runs not yet counted in the metrics (see ``UnreportedRuns``).
        var unreported = UnreportedRuns()
        /// Versions replaced or stopped while a run used them: closed when that run ends.
        var closeAfterRun: [LoadedPlugin] = []
        /// ``notify(_:)`` groups waiting for the run in progress to end.
        var waitingForRun: [DispatchGroup] = []

        /// Hands the runs waiting to the metrics once the oldest has waited long enough; a stopped
        /// plugin's memory gauge is left as it is.
        mutating func reportRunsIfDue(at now: UInt64, to metrics: PluginMetrics) {
            guard unreported.isDue(at: now) else { return }
            metrics.report(&unreported, luaMemory: stopped ? nil : luaMemoryBytes)
        }
    }

    let name: String
    /// Closes Lua states no run uses any more, in order, off the caller's thread (a finalizer
    /// may take up to its 1 s deadline).
    private let closer: DispatchQueue
    private let state: Mutex<State>
    private let sink: any PluginEventSink
    private let scheduler: CheckScheduler
    private let logger: Logger
    private let metrics: PluginMetrics

    init(plugin: LoadedPlugin, sink: any PluginEventSink, scheduler: CheckScheduler, logger: Logger) {
        self.name = plugin.name
        self.closer = DispatchQueue(label: "beacon.plugin.\(plugin.name)")
        self.state = Mutex(State(plugin: plugin))
        self.sink = sink
        self.scheduler = scheduler
        self.logger = logger
        self.metrics = PluginMetrics(plugin: plugin.name)
    }

    /// The script currently in use (to compare with the file on disk).
    var contents: [UInt8] { state.withLock { $0.plugin.contents } }

    // MARK: - Timer

    /// Starts the timer: the first run comes after `firstDelay`, then one every interval.
    /// Replaces any previous timer.
    func start(firstDelay: Double, clock: PluginClock) {
        let interval = state.withLock { $0.plugin.interval }
        // A strong capture: the cycle (runner, timer, clock entry, handler) ends when the timer is
        // cancelled, which ``stop()`` and every replacement do, or when the clock goes (the timer
        // holds it weakly). A weak capture cost every retain of the runner the slow path through
        // a side table, on each tick and run.
        let timer = PluginTimer(clock: clock, firstDelay: firstDelay, interval: interval) { [self] in
            tick()
        }
        let previous = state.withLock { state -> PluginTimer? in
            let previous = state.timer
            state.timer = state.stopped ? nil : timer
            return previous
        }
        previous?.cancel()
        if state.withLock({ $0.stopped }) { timer.cancel() }
    }

    /// A timer tick: asks the scheduler for a run unless one is queued or running, or the
    /// plugin is backing off. A plugin's `jitter` delays each run by a random part of it.
    private func tick() {
        let now = DispatchTime.now().uptimeNanoseconds
        let plan = state.withLock { state -> (jitter: Double, interval: UInt64)? in
            guard !state.stopped else { return nil }
            guard state.phase == .idle, !state.stuck, now >= state.backoffUntil else {
                state.skippedTicks += 1
                metrics.skippedTicks.increment()
                return nil
            }
            state.phase = .queued
            return (state.plugin.jitter, UInt64(state.plugin.interval * 1e9))
        }
        guard let plan else { return }
        // A run still waiting for a slot when the next tick is due is dropped as stale.
        if plan.jitter > 0 {
            let delay = Double.random(in: 0..<plan.jitter)
            DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
                scheduler.submit(self, staleAfter: DispatchTime.now().uptimeNanoseconds &+ plan.interval)
            }
        } else {
            scheduler.submit(self, staleAfter: now &+ plan.interval)
        }
    }

    /// The scheduler dropped a queued run that waited too long.
    func dropQueuedRun() {
        state.withLock { state in
            if state.phase == .queued { state.phase = .idle }
            state.skippedTicks += 1
            metrics.skippedTicks.increment()
        }
    }

    // MARK: - Runs

    /// Called by the scheduler, on one of its threads, once a slot is free; the run happens right
    /// here. It takes the script in use when it starts; a reload or stop meanwhile leaves that
    /// version's Lua state to be closed when the run ends. Returns false when the run was
    /// declared stuck meanwhile and its slot already given back.
    func runHoldingSlot() -> Bool {
        performRun()
        return state.withLock { state in
            defer { state.slotReleased = false }
            return !state.slotReleased
        }
    }

    private func performRun() {
        let started = DispatchTime.now().uptimeNanoseconds
        guard let plugin = state.withLock({ state -> LoadedPlugin? in
            guard !state.stopped else {
                state.phase = .idle
                return nil
            }
            state.phase = .running
            state.runStartedAt = started
            return state.plugin
        }) else { return }

        let outcome = Self.check(plugin)
        let finished = DispatchTime.now().uptimeNanoseconds
        let elapsed = finished &- started
        let duration = Double(elapsed) / 1e9
        let memory = plugin.sandbox.memoryInUse
        if let kind = outcome.failureKind { metrics.failed(kind: kind) }
        let now = Date().timeIntervalSince1970

        let (stopped, backoff) = state.withLock { state -> (Bool, Double?) in
            if !state.closeAfterRun.isEmpty || !state.waitingForRun.isEmpty {
                // Closes first, then the waiters: the closer queue runs them in this order.
                for old in state.closeAfterRun { close(old) }
                for group in state.waitingForRun { closer.async { group.leave() } }
                state.closeAfterRun = []
                state.waitingForRun = []
            }
            state.luaMemoryBytes = memory
            state.unreported.add(durationNanoseconds: Int64(clamping: elapsed), at: finished)
            state.reportRunsIfDue(at: finished, to: metrics)
            state.phase = .idle
            state.stuck = false
            state.runs += 1
            state.lastRunAt = now
            state.lastDuration = duration
            switch outcome {
            case .success(let result):
                state.lastEvent = result.event
                state.lastResult = result.json
            case .failure(let failure):
                state.failures += 1
                state.lastError = failure
                state.lastErrorAt = now
            }
            return (state.stopped, Self.updateBackoff(&state, timedOut: outcome.failureKind == "timeout"))
        }
        guard !stopped else { return }
        if let backoff {
            logger.warning(
                "\(name).lua timed out \(Self.timeoutsBeforeBackoff) or more times in a row; backing off: next run in \(formatSeconds(backoff))")
        }
        switch outcome {
        case .success(let result):
            sink.publish(plugin: name, event: result.event, json: result.json)
        case .failure(let failure):
            sink.publish(plugin: name, event: CheckFailure.eventName, json: failure.eventJSON(plugin: name))
        }
    }

    /// Counts consecutive timeouts and sets the back-off; returns the new delay when backing off.
    private static func updateBackoff(_ state: inout State, timedOut: Bool) -> Double? {
        guard timedOut else {
            state.consecutiveTimeouts = 0
            state.backoffUntil = 0
            return nil
        }
        state.consecutiveTimeouts += 1
        let excess = state.consecutiveTimeouts - timeoutsBeforeBackoff
        guard excess >= 0 else { return nil }
        let interval = state.plugin.interval
        let delay = min(interval * Double(1 << min(excess + 1, 20)), max(interval, maximumBackoff))
        state.backoffUntil = DispatchTime.now().uptimeNanoseconds &+ UInt64(delay * 1e9)
        return delay
    }

    /// Called periodically: a run that outlived its deadline by the grace period is stuck in a
    /// call no hook can interrupt (a C function such as a pathological pattern match). It gives
    /// its scheduler slot back so other plugins run on; its ticks are skipped until it returns.
    /// Also reports the runs that have waited long enough for the metrics (a plugin that runs
    /// rarely is not left a run behind).
    func watchdog(now: UInt64) {
        let newlyStuck = state.withLock { state -> Double? in
            state.reportRunsIfDue(at: now, to: metrics)
            guard state.phase == .running, !state.stuck else { return nil }
            let timeout = state.plugin.timeout
            let grace = max(1, timeout)
            guard now > state.runStartedAt &+ UInt64((timeout + grace) * 1e9) else { return nil }
            state.stuck = true
            state.slotReleased = true
            return timeout
        }
        guard let timeout = newlyStuck else { return }
        scheduler.releaseSlot()
        let failure = CheckFailure(
            kind: "stuck",
            message: "check_status() is stuck past its timeout of \(formatSeconds(timeout)) in a call Beacon "
                + "cannot interrupt (for example a pattern match that backtracks without end); its runs are "
                + "skipped until it returns")
        metrics.failed(kind: failure.kind)
        logger.error("\(name).lua: \(failure.message)")
        sink.publish(plugin: name, event: CheckFailure.eventName, json: failure.eventJSON(plugin: name))
    }

    /// Calls `check_status()` and applies the result rules.
    static func check(_ plugin: LoadedPlugin) -> Result<(event: String, json: [UInt8]), CheckFailure> {
        let result: LuaCallResult
        do {
            result = try plugin.sandbox.call("check_status", deadline: .after(seconds: plugin.timeout))
        } catch {
            if error.kind == .timeout {
                return .failure(CheckFailure(
                    kind: "timeout",
                    message: "check_status() ran longer than its timeout of \(formatSeconds(plugin.timeout))"))
            }
            return .failure(CheckFailure(error))
        }
        switch result.second {
        case .nil:
            return .success((plugin.name, result.json))
        case .string(let event) where PluginName.isValidEventName(event)
            && !PluginName.reservedEventNames.contains(event):
            return .success((event, result.json))
        case .string(let event):
            return .failure(CheckFailure(
                kind: "bad-result",
                message: "check_status() returned the event name \"\(event)\"; an event name must match "
                    + "[A-Za-z0-9_.-]+ (at most 64 characters) and may not be check-error or done"))
        default:
            return .failure(CheckFailure(
                kind: "bad-result",
                message: "check_status()'s second return value must be an event name (a string)"))
        }
    }

    // MARK: - Reload and stop

    /// Swaps in a new version of the script and restarts the timer. The next run uses it; the old
    /// version's Lua state closes now, or when the run using it ends.
    func replace(with plugin: LoadedPlugin, firstDelay: Double, clock: PluginClock) {
        state.withLock { state in
            let old = state.plugin
            state.plugin = plugin
            state.pendingLoadError = nil
            retire(old, &state)
            if state.stopped { retire(plugin, &state) }
        }
        start(firstDelay: firstDelay, clock: clock)
    }

    /// Closes `plugin`'s Lua state when no run uses it: at once, or after the run in progress.
    private func retire(_ plugin: LoadedPlugin, _ state: inout State) {
        if state.phase == .running {
            state.closeAfterRun.append(plugin)
        } else {
            close(plugin)
        }
    }

    private func close(_ plugin: LoadedPlugin) {
        closer.async { plugin.sandbox.close(deadline: .after(seconds: 1)) }
    }

    /// A new version failed to load; the running one stays. Shown in `/plugins` until fixed.
    func noteLoadError(_ failure: CheckFailure) {
        metrics.failed(kind: failure.kind)
        state.withLock { $0.pendingLoadError = failure }
    }

    /// Stops the timer; the Lua state closes at once, or after the run in progress.
    func stop() {
        let timer = state.withLock { state -> PluginTimer? in
            metrics.report(&state.unreported, luaMemory: state.luaMemoryBytes)
            if !state.stopped { retire(state.plugin, &state) }
            state.stopped = true
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
        metrics.pluginRemoved()
    }

    /// Leaves `group` once the run in progress (if any) has ended and the Lua states retired so
    /// far are closed.
    func notify(_ group: DispatchGroup) {
        group.enter()
        state.withLock { state in
            if state.phase == .running {
                state.waitingForRun.append(group)
            } else {
                closer.async { group.leave() }
            }
        }
    }

    // MARK: - Status

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
                        ("kind", JSONText.string(failure.kind)),
                        ("message", JSONText.string(failure.message)),
                        ("at", state.lastErrorAt.map(JSONText.number) ?? JSONText.null),
                    ])
                } ?? JSONText.null),
                ("last_run_at", state.lastRunAt.map(JSONText.number) ?? JSONText.null),
                ("lua_memory_bytes", JSONText.integer(state.luaMemoryBytes)),
                ("last_duration_ms", state.lastDuration.map { JSONText.number(($0 * 1e6).rounded() / 1e3) }
                    ?? JSONText.null),
            ]
            if state.plugin.jitter > 0 { members.append(("jitter", JSONText.number(state.plugin.jitter))) }
            if state.backoffUntil > DispatchTime.now().uptimeNanoseconds {
                let seconds = Double(state.backoffUntil - DispatchTime.now().uptimeNanoseconds) / 1e9
                members.append(("backoff_seconds_left", JSONText.number((seconds * 1000).rounded() / 1000)))
                members.append(("consecutive_timeouts", JSONText.integer(state.consecutiveTimeouts)))
            }
            if let pending = state.pendingLoadError {
                members.append(("load_error", JSONText.object([
                    ("kind", JSONText.string(pending.kind)),
                    ("message", JSONText.string(pending.message)),
                ])))
            }
            return JSONText.object(members)
        }
    }
}

extension PluginRunner {
    /// `idle`, `queued`, `running`, `stuck` or `backoff`.
    fileprivate static func stateName(_ state: State) -> String {
        if state.stuck { return "stuck" }
        if state.phase == .idle, state.backoffUntil > DispatchTime.now().uptimeNanoseconds { return "backoff" }
        return state.phase.rawValue
    }
}

extension Result where Failure == CheckFailure {
    var failureKind: String? {
        if case .failure(let failure) = self { return failure.kind }
        return nil
    }
}

/// `2 s`, `250 ms`.
func formatSeconds(_ seconds: Double) -> String {
    if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
    if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
    return "\(seconds) s"
}
