import Dispatch
import Foundation
import LuaKit
import Synchronization

/// Runs one plugin: its serial queue (the only place its Lua state is touched), its Dispatch
/// timer, and its counters. Survives reloads that change the script: the new version is swapped
/// in between runs, so subscribers and counters carry on.
final class PluginRunner: Sendable {
    /// What `/plugins` shows about a run in progress.
    enum Phase: String, Sendable { case idle, queued, running }

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
        var pendingLoadError: CheckFailure?
        var stopped = false
    }

    let name: String
    private let queue: DispatchQueue
    private let state: Mutex<State>
    private let sink: any PluginEventSink
    private let scheduler: CheckScheduler

    init(plugin: LoadedPlugin, sink: any PluginEventSink, scheduler: CheckScheduler) {
        self.name = plugin.name
        self.queue = DispatchQueue(label: "beacon.plugin.\(plugin.name)")
        self.state = Mutex(State(plugin: plugin))
        self.sink = sink
        self.scheduler = scheduler
    }

    /// The script currently in use (to compare with the file on disk).
    var contents: [UInt8] { state.withLock { $0.plugin.contents } }

    // MARK: - Timer

    /// Starts the timer: the first run comes after `firstDelay`, then one every interval.
    /// Replaces any previous timer.
    func start(firstDelay: Double, timerQueue: DispatchQueue) {
        let interval = state.withLock { $0.plugin.interval }
        let timer = PluginTimer(queue: timerQueue, firstDelay: firstDelay, interval: interval) { [weak self] in
            self?.tick()
        }
        let previous = state.withLock { state -> PluginTimer? in
            let previous = state.timer
            state.timer = state.stopped ? nil : timer
            return previous
        }
        previous?.cancel()
        if state.withLock({ $0.stopped }) { timer.cancel() }
    }

    /// A timer tick: asks the scheduler for a run unless one is queued or running.
    private func tick() {
        let wanted = state.withLock { state -> Bool in
            guard !state.stopped else { return false }
            guard state.phase == .idle else {
                state.skippedTicks += 1
                return false
            }
            state.phase = .queued
            return true
        }
        if wanted { scheduler.submit(self, tickedAt: DispatchTime.now().uptimeNanoseconds) }
    }

    /// True when a run ticked at `tickedAt` has waited past the next tick.
    func isStale(tickedAt: UInt64, now: UInt64) -> Bool {
        let interval = state.withLock { $0.plugin.interval }
        return now > tickedAt &+ UInt64(interval * 1e9)
    }

    /// The scheduler dropped a queued run that waited too long.
    func dropQueuedRun() {
        state.withLock { state in
            if state.phase == .queued { state.phase = .idle }
            state.skippedTicks += 1
        }
    }

    // MARK: - Runs

    /// Called by the scheduler once a slot is free.
    func startRun(scheduler: CheckScheduler) {
        queue.async { [self] in
            performRun()
            scheduler.releaseSlot()
        }
    }

    private func performRun() {
        guard let plugin = state.withLock({ state -> LoadedPlugin? in
            guard !state.stopped else {
                state.phase = .idle
                return nil
            }
            state.phase = .running
            state.runStartedAt = DispatchTime.now().uptimeNanoseconds
            return state.plugin
        }) else { return }

        let started = DispatchTime.now().uptimeNanoseconds
        let outcome = Self.check(plugin)
        let duration = Double(DispatchTime.now().uptimeNanoseconds - started) / 1e9
        let now = Date().timeIntervalSince1970

        let stopped = state.withLock { state -> Bool in
            state.phase = .idle
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
            return state.stopped
        }
        guard !stopped else { return }
        switch outcome {
        case .success(let result):
            sink.publish(plugin: name, event: result.event, json: result.json)
        case .failure(let failure):
            sink.publish(plugin: name, event: CheckFailure.eventName, json: failure.eventJSON(plugin: name))
        }
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

    /// Swaps in a new version of the script between runs and restarts the timer.
    func replace(with plugin: LoadedPlugin, firstDelay: Double, timerQueue: DispatchQueue) {
        queue.async { [self] in
            let old = state.withLock { state -> LoadedPlugin in
                let old = state.plugin
                state.plugin = plugin
                state.pendingLoadError = nil
                return old
            }
            old.sandbox.close(deadline: .after(seconds: 1))
            start(firstDelay: firstDelay, timerQueue: timerQueue)
        }
    }

    /// A new version failed to load; the running one stays. Shown in `/plugins` until fixed.
    func noteLoadError(_ failure: CheckFailure) {
        state.withLock { $0.pendingLoadError = failure }
    }

    /// Stops the timer; the Lua state closes on the plugin's queue after any run in progress.
    func stop() {
        let timer = state.withLock { state -> PluginTimer? in
            state.stopped = true
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
        queue.async { [self] in
            let plugin = state.withLock { $0.plugin }
            plugin.sandbox.close(deadline: .after(seconds: 1))
        }
    }

    /// Blocks until the work queued on the plugin's queue so far has run.
    func drain() { queue.sync {} }

    // MARK: - Status

    /// This plugin's entry in `/plugins`.
    func statusJSON() -> [UInt8] {
        state.withLock { state in
            var members: [(String, [UInt8])] = [
                ("name", JSONText.string(name)),
                ("schedule", JSONText.number(state.plugin.interval)),
                ("timeout", JSONText.number(state.plugin.timeout)),
                ("state", JSONText.string(state.phase.rawValue)),
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
                ("last_duration_ms", state.lastDuration.map { JSONText.number(($0 * 1e6).rounded() / 1e3) }
                    ?? JSONText.null),
            ]
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

/// `2 s`, `250 ms`.
func formatSeconds(_ seconds: Double) -> String {
    if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
    if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
    return "\(seconds) s"
}
