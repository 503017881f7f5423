import Dispatch
import Foundation
import Logging
import LuaKit
import Synchronization

/// Runs one plugin on a serial queue of its own (one Lua state per queue) that targets one of the
/// host's shared check queues: its Dispatch timer fires there, and its runs are driven there,
/// one at a time. Survives reloads that change the script: the new version takes over from the
/// next run, so subscribers and counters carry on.
///
/// Invariants: the plugin's Lua states are touched only by blocks on its current queue (and, once
/// no run uses them, by the closing of a retired state); a block submitted before the plugin moved
/// to another queue does nothing (``State/generation``).
final class PluginRunner: Sendable {
    /// What `/plugins` shows about a run.
    enum Phase: String, Sendable { case idle, queued, running }

    /// Consecutive timeouts after which a plugin is backed off.
    static let timeoutsBeforeBackoff = 3
    /// The longest back-off, unless the interval itself is longer.
    static let maximumBackoff = 300.0

    struct State {
        var plugin: LoadedPlugin
        /// The plugin's serial queue and the shared queue it targets.
        var queue: DispatchQueue
        var target: DispatchQueue
        /// Bumped when the plugin moves to another queue: blocks of the old one then do nothing.
        var generation: UInt64 = 0
        var timer: (any DispatchSourceTimer)?
        /// The timer's first deadline (monotonic ns): later deadlines are a whole number of
        /// intervals after it, also when the timer moves to another queue.
        var timerOrigin: UInt64 = 0
        /// When the last tick was handled (monotonic ns).
        var lastTickAt: UInt64 = 0
        var phase: Phase = .idle
        /// When the run waiting to start was due (monotonic ns).
        var dueAt: UInt64 = 0
        var run: CheckRun?
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
        var lastStartLag: Double?
        var luaMemoryBytes = 0
        var pendingLoadError: CheckFailure?
        /// The level of the latest outcome; kept across reloads that change the script.
        var level: PluginLevel
        /// A new version came while a run used the old one: it runs as soon as that run ends.
        var newVersionWaiting = false
        var stopped = false
        /// The run in progress outlived its deadline inside a call no hook can interrupt.
        var stuck = false
        /// The admission slot of the run in progress was given back early (the run is stuck).
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
    let state: Mutex<State>
    private let sink: any PluginEventSink
    private let admission: CheckAdmission
    private let queues: CheckQueues
    private let logger: Logger
    let metrics: PluginMetrics
    /// Asked before each run; see ``PluginHostConfiguration/mayRun``.
    private let mayRun: (@Sendable (String) -> Bool)?

    /// `level`: what is known of the plugin's level from before (remembered by the store, or from
    /// before a reload removed it).
    init(
        plugin: LoadedPlugin, sink: any PluginEventSink, admission: CheckAdmission, queues: CheckQueues,
        logger: Logger, level: PluginLevel = PluginLevel(), mayRun: (@Sendable (String) -> Bool)? = nil
    ) {
        self.name = plugin.name
        self.mayRun = mayRun
        let target = queues.target(for: plugin.name)
        self.state = Mutex(State(
            plugin: plugin, queue: DispatchQueue(label: "beacon.plugin.\(plugin.name)", target: target),
            target: target, level: level))
        self.sink = sink
        self.admission = admission
        self.queues = queues
        self.logger = logger
        self.metrics = PluginMetrics(plugin: plugin.name)
    }

    deinit {
        state.withLock { $0.timer }?.cancel()
    }

    /// The script currently in use (to compare with the file on disk).
    var contents: [UInt8] { state.withLock { $0.plugin.contents } }

    /// Runs `body` on the plugin's queue, unless the plugin has moved to another queue by then.
    func submit(_ body: @escaping @Sendable () -> Void) {
        let (queue, generation) = state.withLock { ($0.queue, $0.generation) }
        queue.async { [self] in
            guard state.withLock({ $0.generation }) == generation else { return }
            body()
        }
    }

    /// Runs `body` after the block in progress on the plugin's queue, if any: a run that was
    /// ending when the plugin stopped publishes its result before `body` runs. At once when the
    /// plugin is stuck in C: that run publishes nothing once the plugin is stopped.
    func afterCurrentBlock(_ body: @escaping @Sendable () -> Void) {
        let (queue, stuck) = state.withLock { ($0.queue, $0.stuck) }
        if stuck { body() } else { queue.async(execute: body) }
    }

    /// Runs `body` on the plugin's queue after the plugins already waiting for the shared queue
    /// (a plugin queue drains everything it is given at once, so a plain `submit` from its own
    /// block would go first).
    func submitAfterOthers(_ body: @escaping @Sendable () -> Void) {
        let target = state.withLock { $0.target }
        target.async { [self] in submit(body) }
    }

    // MARK: - Timer

    /// Starts the timer: the first run comes after `firstDelay` (rounded up to the timer's grid,
    /// so plugins of one interval share wake-ups), then one every interval. Replaces any previous
    /// timer.
    func start(firstDelay: Double) {
        state.withLock { state in
            guard !state.stopped else { return }
            let interval = PluginSchedule(interval: state.plugin.interval)
            state.timerOrigin = interval.firstDeadline(after: firstDelay, now: DispatchTime.now().uptimeNanoseconds)
            installTimer(&state)
        }
    }

    /// Replaces the timer with one on the current queue, keeping the phase of `timerOrigin`.
    private func installTimer(_ state: inout State) {
        state.timer?.cancel()
        let schedule = PluginSchedule(interval: state.plugin.interval)
        let timer = DispatchSource.makeTimerSource(queue: state.queue)
        let next = schedule.nextDeadline(origin: state.timerOrigin, now: DispatchTime.now().uptimeNanoseconds)
        timer.schedule(
            deadline: DispatchTime(uptimeNanoseconds: next), repeating: .nanoseconds(schedule.intervalNanoseconds),
            leeway: .nanoseconds(schedule.leewayNanoseconds))
        let generation = state.generation
        timer.setEventHandler { [weak self] in self?.tick(generation: generation) }
        state.timer = timer
        timer.activate()
    }

    /// A timer tick, on the plugin's queue: asks for a run unless one is queued or running, or the
    /// plugin is stuck or backing off (the tick is then skipped and counted). Ticks the queue could
    /// not take in time (the timer's data is over 1) are counted as skipped too. A plugin's `jitter` delays each
    /// run by a random part of it.
    private func tick(generation: UInt64) {
        let now = DispatchTime.now().uptimeNanoseconds
        let plan = state.withLock { state -> (jitter: Double, interval: UInt64)? in
            guard !state.stopped, state.generation == generation else { return nil }
            // A tick handled late (its queue was busy) and the next one right behind it are one.
            let interval = UInt64(state.plugin.interval * 1e9)
            guard now &- state.lastTickAt >= interval / 2 else { return nil }
            state.lastTickAt = now
            let fires = state.timer?.data ?? 1
            if fires > 1 { skip(&state, count: Int(fires - 1)) }
            guard state.phase == .idle, !state.stuck, now >= state.backoffUntil else {
                skip(&state, count: 1)
                return nil
            }
            if let mayRun, !mayRun(name) { return nil }
            state.phase = .queued
            state.dueAt = now
            return (state.plugin.jitter, interval)
        }
        guard let plan else { return }
        guard plan.jitter > 0 else {
            requestSlot(staleAfter: now &+ plan.interval)
            return
        }
        let delay = Double.random(in: 0..<plan.jitter)
        DispatchQueue.global().asyncAfter(deadline: .now() + delay) { [self] in
            submit { [self] in
                let due = DispatchTime.now().uptimeNanoseconds
                state.withLock { $0.dueAt = due }
                requestSlot(staleAfter: due &+ plan.interval)
            }
        }
    }

    /// Asks for a run now, on the plugin's queue, when none is queued or running and the plugin
    /// may run here.
    func runOutOfTurn() {
        submit { [self] in
            let now = DispatchTime.now().uptimeNanoseconds
            let interval = state.withLock { state -> UInt64? in
                guard !state.stopped, state.phase == .idle, !state.stuck else { return nil }
                if let mayRun, !mayRun(name) { return nil }
                state.phase = .queued
                state.dueAt = now
                state.lastTickAt = now
                return UInt64(state.plugin.interval * 1e9)
            }
            if let interval { requestSlot(staleAfter: now &+ interval) }
        }
    }

    private func skip(_ state: inout State, count: Int) {
        state.skippedTicks += count
        metrics.skippedTicks.increment(by: count)
    }

    /// Asks for a slot among the checks in flight; starts at once when there is one.
    private func requestSlot(staleAfter: UInt64) {
        if admission.request(self, staleAfter: staleAfter) { begin() }
    }

    /// A slot freed up for this plugin's waiting run.
    func admitted() {
        submit { [self] in begin() }
    }

    /// The run waited so long for a slot that the next tick has come: it is dropped and counted.
    func dropQueuedRun() {
        state.withLock { state in
            if state.phase == .queued { state.phase = .idle }
            skip(&state, count: 1)
        }
    }

    // MARK: - Runs

    /// Starts the run that got a slot, on the plugin's queue, with the version of the script in use
    /// now; a reload or stop meanwhile leaves that version's Lua state to be closed when it ends.
    private func begin() {
        let now = DispatchTime.now().uptimeNanoseconds
        let plugin = state.withLock { state -> LoadedPlugin? in
            guard state.phase == .queued, !state.stopped, mayRun?(name) ?? true else {
                if state.phase == .queued { state.phase = .idle }
                return nil
            }
            state.phase = .running
            state.runStartedAt = now
            let lag = now &- state.dueAt
            state.lastStartLag = Double(lag) / 1e9
            state.unreported.add(startLagNanoseconds: Int64(clamping: lag), at: now)
            return state.plugin
        }
        guard let plugin else {
            admission.release()
            return
        }
        let run = CheckRun(
            plugin: plugin, submit: { [self] body in submit(body) },
            submitAfterOthers: { [self] body in submitAfterOthers(body) },
            completion: { [self] outcome in finished(outcome, plugin: plugin) })
        state.withLock { $0.run = run }
        run.start()
    }

    /// A run ended, on the plugin's queue: counts it, closes the Lua states it kept alive, frees
    /// its slot and publishes its result (unless the plugin was stopped meanwhile).
    private func finished(_ outcome: CheckOutcome, plugin: LoadedPlugin) {
        let finishedAt = DispatchTime.now().uptimeNanoseconds
        let memory = plugin.sandbox.memoryInUse
        if case .failure(let failure) = outcome { metrics.failed(kind: failure.kind) }
        let now = Date().timeIntervalSince1970
        let report = Self.statusReport(of: outcome)
        let (stopped, backoff, releaseSlot, change, level) = state.withLock {
            state -> (Bool, Double?, Bool, StatusChange?, PluginLevel) in
            let elapsed = finishedAt &- state.runStartedAt
            let releaseSlot = !state.slotReleased
            endRun(&state)
            state.luaMemoryBytes = memory
            state.unreported.add(durationNanoseconds: Int64(clamping: elapsed), at: finishedAt)
            state.reportRunsIfDue(at: finishedAt, to: metrics)
            state.runs += 1
            state.lastRunAt = now
            state.lastDuration = Double(elapsed) / 1e9
            switch outcome {
            case .success(let result):
                state.lastEvent = result.event
                state.lastResult = result.json
            case .failure(let failure):
                state.failures += 1
                state.lastError = failure
                state.lastErrorAt = now
            }
            let timedOut = if case .failure(let failure) = outcome { failure.kind == .timeout } else { false }
            let backoff = Self.updateBackoff(&state, timedOut: timedOut)
            // A stopped plugin's last run changes nothing: its result is not published.
            let change = state.stopped ? nil : state.level.apply(report, at: Self.unixTime(now))
            return (state.stopped, backoff, releaseSlot, change, state.level)
        }
        if releaseSlot { admission.release() }
        guard !stopped else { return }
        defer { runNewVersionIfWaiting() }
        if let backoff {
            logger.warning(
                "\(name).lua timed out \(Self.timeoutsBeforeBackoff) or more times in a row; backing off: next run in \(formatSeconds(backoff))")
        }
        let (event, json) = switch outcome {
        case .success(let result): (result.event, result.json)
        case .failure(let failure): (CheckFailure.eventName, failure.eventJSON(plugin: name))
        }
        publish(event: event, json: json, change: change, level: level)
    }

    /// Publishes an outcome's event and, when the level changed, `status-change` after it (so the
    /// newest event of the stream carries both the level and the result).
    private func publish(event: String, json: [UInt8], change: StatusChange?, level: PluginLevel) {
        sink.publish(plugin: name, event: event, json: json, level: level)
        guard let change else { return }
        let data = change.eventJSON(plugin: name, summary: level.summary, result: json)
        sink.publish(plugin: name, event: StatusChange.eventName, json: data, level: level)
    }

    /// The level an outcome sets: the run's `beacon.status`, or `unknown` with the error.
    static func statusReport(of outcome: CheckOutcome) -> StatusReport? {
        switch outcome {
        case .success(let result): result.status
        case .failure(let failure): StatusReport(level: .unknown, summary: failure.message)
        }
    }

    /// Unix seconds to the millisecond, as the store keeps times.
    static func unixTime(_ seconds: Double) -> Double {
        (seconds * 1000).rounded() / 1000
    }

    /// The plugin's level now.
    var level: PluginLevel { state.withLock { $0.level } }

    /// Takes `level` when it began later than the level held here (the level another node set
    /// while it ran this plugin), so the next run announces a change only against it.
    func adopt(_ level: PluginLevel) {
        state.withLock { state in
            guard let since = level.since, since > state.level.since ?? -.infinity else { return }
            state.level = level
        }
    }

    /// A version swapped in while the run that just ended used the old one runs now, instead of
    /// waiting for its next tick (a plugin that runs hourly would otherwise show the change an
    /// hour later).
    private func runNewVersionIfWaiting() {
        let now = DispatchTime.now().uptimeNanoseconds
        let interval = state.withLock { state -> UInt64? in
            guard state.newVersionWaiting, state.phase == .idle, !state.stopped, !state.stuck else { return nil }
            state.newVersionWaiting = false
            state.phase = .queued
            state.dueAt = now
            state.lastTickAt = now  // a tick handled right after is this one
            return UInt64(state.plugin.interval * 1e9)
        }
        if let interval { requestSlot(staleAfter: now &+ interval) }
    }

    /// What every end of a run does: the phase goes back to idle, the states retired during it
    /// close and the waiters are told (in that order); a plugin that was stuck moves back to the
    /// current shared queue.
    private func endRun(_ state: inout State) {
        state.phase = .idle
        state.run = nil
        state.slotReleased = false
        if state.stuck {
            state.stuck = false
            let target = queues.target(for: name)
            if target !== state.target { move(&state, to: target) }
        }
        if !state.closeAfterRun.isEmpty || !state.waitingForRun.isEmpty {
            let closing = state.closeAfterRun
            let waiters = state.waitingForRun
            state.closeAfterRun = []
            state.waitingForRun = []
            DispatchQueue.global(qos: .utility).async {
                for old in closing { old.sandbox.close(deadline: .after(seconds: 1)) }
                for group in waiters { group.leave() }
            }
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

    // MARK: - Watchdog

    /// Called four times a second from the host's watchdog. A step of a run that outlived its
    /// timeout by the grace period is stuck in a call no hook can interrupt (a C function such as
    /// a pattern match that backtracks without end): the plugin is marked stuck, its slot is given
    /// back, and the shared queue it holds is returned so the host can replace it. Also reports
    /// runs that have waited long enough for the metrics (a plugin that runs rarely is not left a
    /// run behind).
    func watchdog(now: UInt64) -> DispatchQueue? {
        let stuck = state.withLock { state -> (target: DispatchQueue, timeout: Double)? in
            state.reportRunsIfDue(at: now, to: metrics)
            guard let run = state.run, !state.stuck else { return nil }
            let since = run.steppingSince.load(ordering: .relaxed)
            let timeout = state.plugin.timeout
            guard since > 0, now > since &+ UInt64((timeout + max(1, timeout)) * 1e9) else { return nil }
            state.stuck = true
            state.slotReleased = true
            return (state.target, timeout)
        }
        guard let stuck else { return nil }
        admission.release()
        let failure = CheckFailure(
            kind: .stuck,
            message: "check_status() is stuck past its timeout of \(formatSeconds(stuck.timeout)) in a call Beacon "
                + "cannot interrupt (for example a pattern match that backtracks without end); its runs are "
                + "skipped until it returns")
        metrics.failed(kind: failure.kind)
        logger.error("\(name).lua: \(failure.message)")
        let report = Self.statusReport(of: .failure(failure))
        let time = Self.unixTime(Date().timeIntervalSince1970)
        let (change, level) = state.withLock { state in (state.level.apply(report, at: time), state.level) }
        publish(event: CheckFailure.eventName, json: failure.eventJSON(plugin: name), change: change, level: level)
        return stuck.target
    }

    /// Moves the plugin off `stuckTarget` (whose thread a stuck run holds) to the shared queue now
    /// in its place, unless the stuck run is this plugin's own.
    func leave(_ stuckTarget: DispatchQueue) {
        let run = state.withLock { state -> CheckRun? in
            guard state.target === stuckTarget, !state.stuck else { return nil }
            move(&state, to: queues.target(for: name))
            return state.run
        }
        // A run in flight goes on from the new queue (its next answer would have gone to the old).
        if let run { submit { run.resume() } }
    }

    /// Points the plugin at a new serial queue on `target`; its timer follows with the same phase.
    private func move(_ state: inout State, to target: DispatchQueue) {
        state.generation += 1
        state.target = target
        state.queue = DispatchQueue(label: "beacon.plugin.\(name)", target: target)
        if state.timer != nil, !state.stopped { installTimer(&state) }
    }

    // MARK: - Reload and stop

    /// Swaps in a new version of the script and restarts the timer. The next run uses it; the old
    /// version's Lua state closes now, or when the run using it ends.
    func replace(with plugin: LoadedPlugin, firstDelay: Double) {
        state.withLock { state in
            let old = state.plugin
            state.plugin = plugin
            state.pendingLoadError = nil
            if state.run != nil { state.newVersionWaiting = true }
            retire(old, &state)
            if state.stopped { retire(plugin, &state) }
        }
        start(firstDelay: firstDelay)
    }

    /// Closes `plugin`'s Lua state when no run uses it: at once, or after the run in progress.
    private func retire(_ plugin: LoadedPlugin, _ state: inout State) {
        if let run = state.run, run.plugin === plugin {
            state.closeAfterRun.append(plugin)
        } else {
            DispatchQueue.global(qos: .utility).async { plugin.sandbox.close(deadline: .after(seconds: 1)) }
        }
    }

    /// A new version failed to load; the running one stays. Shown in `/plugins` until fixed.
    func noteLoadError(_ failure: CheckFailure) {
        metrics.failed(kind: failure.kind)
        state.withLock { $0.pendingLoadError = failure }
    }

    /// Stops the timer; the Lua state closes at once, or after the run in progress (which goes on
    /// until it ends or ``abandonRun()``; its result is not published).
    func stop() {
        let timer = state.withLock { state -> (any DispatchSourceTimer)? in
            metrics.report(&state.unreported, luaMemory: state.luaMemoryBytes)
            if !state.stopped { retire(state.plugin, &state) }
            state.stopped = true
            defer { state.timer = nil }
            return state.timer
        }
        timer?.cancel()
        metrics.pluginRemoved()
    }

    /// Ends the run in progress now, if any: what it waits for is cancelled (sockets closed,
    /// programs killed), its Lua state is closed. A run stuck in C is left to end by itself.
    /// `done`, if given, is left once that has happened on the plugin's queue.
    func abandonRun(_ done: DispatchGroup? = nil) {
        done?.enter()
        submit { [self] in
            defer { done?.leave() }
            let run = state.withLock { state -> CheckRun? in
                guard let run = state.run, !state.stuck else { return nil }
                return run
            }
            guard let run else { return }
            run.cancel()
            let releaseSlot = state.withLock { state -> Bool in
                let release = !state.slotReleased
                endRun(&state)
                return release
            }
            if releaseSlot { admission.release() }
        }
    }

    /// Leaves `group` once the run in progress (if any) has ended and the Lua states retired so
    /// far are closed.
    func notify(_ group: DispatchGroup) {
        group.enter()
        state.withLock { state in
            if state.run != nil {
                state.waitingForRun.append(group)
            } else {
                DispatchQueue.global(qos: .utility).async { group.leave() }
            }
        }
    }
}

/// `2 s`, `250 ms`.
func formatSeconds(_ seconds: Double) -> String {
    if seconds < 1 { return "\(Int((seconds * 1000).rounded())) ms" }
    if seconds == seconds.rounded() { return "\(Int(seconds)) s" }
    return "\(seconds) s"
}
