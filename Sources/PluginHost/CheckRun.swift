import Dispatch
import LuaKit
import Synchronization

/// What one run of a check produced: the event, and the level it set with `beacon.status`.
typealias CheckOutcome = Result<(event: String, json: [UInt8], status: StatusReport?), CheckFailure>

/// One run of a plugin's `check_status()`, driven on its plugin's serial queue: the run's
/// coroutines are stepped there, and again each time a host call they wait for answers; no thread
/// waits meanwhile. Past the plugin's timeout the run ends with `timeout` and what it waited for is
/// cancelled.
///
/// Contract: ``start()``, ``cancel()`` and the steps run on the plugin's queue (through `submit`),
/// one at a time; `completion` is called there once, unless the run was cancelled.
final class CheckRun: @unchecked Sendable {
    // @unchecked: `run` and the flags are touched only on the plugin's queue; `steppingSince` is
    // atomic because the watchdog reads it from elsewhere.
    let plugin: LoadedPlugin
    /// Monotonic ns when the step in progress began; 0 between steps. A step longer than the
    /// timeout plus a grace period is stuck in a call no hook can interrupt.
    let steppingSince = Atomic<UInt64>(0)
    private let submit: @Sendable (@escaping @Sendable () -> Void) -> Void
    private let submitAfterOthers: @Sendable (@escaping @Sendable () -> Void) -> Void
    private let completion: (CheckOutcome) -> Void
    private var run: LuaRun?
    private var deadlineArmed = false
    private var done = false

    /// `submit` runs a block on the plugin's queue; `submitAfterOthers` too, after what else waits
    /// for the shared queue behind it (the default: `submit`).
    init(
        plugin: LoadedPlugin,
        submit: @escaping @Sendable (@escaping @Sendable () -> Void) -> Void,
        submitAfterOthers: (@Sendable (@escaping @Sendable () -> Void) -> Void)? = nil,
        completion: @escaping (CheckOutcome) -> Void
    ) {
        self.plugin = plugin
        self.submit = submit
        self.submitAfterOthers = submitAfterOthers ?? submit
        self.completion = completion
    }

    /// Starts the run and takes its first step.
    func start() {
        do {
            run = try plugin.sandbox.start("check_status", deadline: .after(seconds: plugin.timeout)) { [self] in
                submit { [self] in resume() }
            }
        } catch {
            finish(.failure(Self.failure(error, plugin: plugin)))
            return
        }
        resume()
    }

    /// Abandons the run: what it waits for is cancelled, its Lua state is free again, nothing is
    /// reported.
    func cancel() {
        guard !done else { return }
        done = true
        run?.cancel()
        run = nil
    }

    /// Resumes what can go on; called again when an answer comes, a slice ended or the deadline
    /// passed (and harmless at any other time).
    func resume() {
        guard !done, let run else { return }
        steppingSince.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        let step = run.step()
        steppingSince.store(0, ordering: .relaxed)
        switch step {
        case .finished(let result):
            finish(Self.outcome(result, plugin: plugin))
        case .waiting:
            guard !deadlineArmed else { return }
            deadlineArmed = true
            let remaining = max(0, run.deadline.secondsRemaining) + 0.001
            DispatchQueue.global().asyncAfter(deadline: .now() + remaining) { [self] in
                submit { [self] in resume() }
            }
        case .sliceEnded:
            // Others sharing the queue go first; this run goes on right after them.
            submitAfterOthers { [self] in resume() }
        }
    }

    private func finish(_ outcome: CheckOutcome) {
        done = true
        run = nil
        completion(outcome)
    }

    // MARK: - Result rules

    /// The event a result makes, or why it cannot make one.
    static func outcome(_ result: Result<LuaCallResult, LuaError>, plugin: LoadedPlugin) -> CheckOutcome {
        let value: LuaCallResult
        switch result {
        case .success(let success): value = success
        case .failure(let error): return .failure(failure(error, plugin: plugin))
        }
        switch value.second {
        case .nil:
            return .success((plugin.name, value.json, value.status))
        case .string(let event) where PluginName.isValidEventName(event)
            && !PluginName.reservedEventNames.contains(event):
            return .success((event, value.json, value.status))
        case .string(let event):
            return .failure(CheckFailure(
                kind: .badResult,
                message: "check_status() returned the event name \"\(event)\"; an event name must match "
                    + "[A-Za-z0-9_.-]+ (at most 64 characters) and may not be check-error, done or status-change"))
        default:
            return .failure(CheckFailure(
                kind: .badResult,
                message: "check_status()'s second return value must be an event name (a string)"))
        }
    }

    private static func failure(_ error: LuaError, plugin: LoadedPlugin) -> CheckFailure {
        guard error.kind == .timeout else { return CheckFailure(error) }
        return CheckFailure(
            kind: .timeout,
            message: "check_status() ran longer than its timeout of \(formatSeconds(plugin.timeout))")
    }
}
