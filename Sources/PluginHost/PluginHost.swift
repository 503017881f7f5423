import Dispatch
import Foundation
public import Logging
import LuaKit
import Synchronization

/// Runs the plugins of one folder: loads them, schedules their checks, reloads the folder on
/// request, and reports every result to a `PluginEventSink`.
public final class PluginHost: Sendable {
    private let configuration: PluginHostConfiguration
    private let folder: PluginFolder
    private let loader: PluginLoader
    private let sink: any PluginEventSink
    private let logger: Logger
    /// Bounds the checks in flight (`--max-concurrent-checks`).
    private let admission: CheckAdmission
    /// The shared queues plugin queues target, one per core.
    private let queues: CheckQueues
    /// Reloads run one at a time here; no Lua runs here but top-level chunks of new scripts.
    private let control = DispatchQueue(label: "beacon.plugins.reload")

    struct Registry {
        var runners: [String: PluginRunner] = [:]
        /// Plugins that never loaded, shown in `/plugins` until they do or their file goes.
        var failedLoads: [String: PluginLoadError] = [:]
        /// Unix seconds when each of `failedLoads` first failed (its level is `unknown` since then).
        var failedSince: [String: Double] = [:]
        /// Levels of plugins not running now: remembered by the store, or kept from a plugin a
        /// reload removed, for when a plugin of that name starts.
        var remembered: [String: PluginLevel] = [:]
        var libraryFingerprint: [UInt8] = []
        /// The last reload's scan: files whose stamps have not changed are not read again.
        var lastScan: PluginFolderScan?
        /// `stop` was called: reloads change nothing any more.
        var stopped = false
    }
    let registry = Mutex(Registry())
    /// A background reload is queued and has not started yet.
    private let reloadWaiting = Mutex(false)
    /// Looks for runs stuck past their deadline four times a second, and hands runs to the metrics.
    private let watchdog = Mutex<(any DispatchSourceTimer)?>(nil)

    public init(configuration: PluginHostConfiguration, sink: any PluginEventSink, logger: Logger) {
        self.configuration = configuration
        self.folder = PluginFolder(path: configuration.directory)
        self.sink = sink
        self.logger = logger
        self.admission = CheckAdmission(limit: configuration.maxConcurrentChecks)
        self.queues = CheckQueues(count: configuration.checkQueues)
        let folder = self.folder
        let hostFunctions = configuration.hostFunctions
        self.loader = PluginLoader(
            limits: LuaLimits(
                memoryBytes: configuration.pluginMemoryBytes, maxResultBytes: configuration.maxEventBytes),
            environment: { name in
                LuaEnvironment(
                    log: { level, message in
                        logger.log(level: level.loggerLevel, "[\(name)] \(message)", metadata: ["plugin": "\(name)"])
                    },
                    libraryDirectory: folder.libraryPath,
                    hostFunctions: hostFunctions)
            },
            loadTimeout: configuration.loadTimeout)
    }

    /// Runs plugin `name`'s check now, out of its schedule, unless a run is under way or queued
    /// (a cluster node that has just become its leader). Unknown names are ignored.
    public func runNow(_ name: String) {
        self.registry.withLock { $0.runners[name] }?.runOutOfTurn()
    }

    /// Stops the runs in progress of plugins `names` now (a cluster node that lost their leases):
    /// what they wait for is cancelled and nothing is published; their next runs come on schedule.
    /// Unknown names are ignored.
    public func abandonRuns(of names: [String]) {
        let runners = self.registry.withLock { registry in names.compactMap { registry.runners[$0] } }
        for runner in runners { runner.abandonRun() }
    }

    /// Loads the folder for the first time and starts the checks. Throws when the folder cannot
    /// be read at all. The loading runs on Dispatch threads; the caller's task is suspended meanwhile.
    @discardableResult
    public func start() async throws(PluginFolderError) -> ReloadSummary {
        try await onControl { [self] in startOnControl() }.get()
    }

    /// ``start()`` for callers that are not async: blocks the calling thread while plugins load.
    @discardableResult
    public func start() throws(PluginFolderError) -> ReloadSummary {
        try control.sync { startOnControl() }.get()
    }

    private func startOnControl() -> Result<ReloadSummary, PluginFolderError> {
        // The first reload reuses this scan: files older than it are not read a second time.
        let scan: PluginFolderScan
        do throws(PluginFolderError) { scan = try folder.scan() } catch { return .failure(error) }
        registry.withLock { $0.lastScan = scan }
        startWatchdog()
        return .success(applyReload())
    }

    private func startWatchdog() {
        watchdog.withLock { watchdog in
            let timer = DispatchSource.makeTimerSource(queue: DispatchQueue(label: "beacon.plugins.watchdog"))
            timer.schedule(deadline: .now() + 0.25, repeating: .milliseconds(250), leeway: .milliseconds(50))
            timer.setEventHandler { [weak self] in self?.checkForStuckRuns() }
            timer.activate()
            watchdog = timer
        }
    }

    /// Loads every plugin of the folder to check it, and closes it again: no check runs, no timer
    /// starts. `added` lists the plugins that would start; `failed` and `ignored` the rest.
    public func validate() async throws(PluginFolderError) -> ReloadSummary {
        try await onControl { [self] () -> Result<ReloadSummary, PluginFolderError> in
            let scan: PluginFolderScan
            do throws(PluginFolderError) { scan = try folder.scan() } catch { return .failure(error) }
            var summary = ReloadSummary()
            summary.ignored = scan.ignored
            for (file, result) in zip(scan.files, loadConcurrently(scan.files)) {
                switch result {
                case .success(let plugin):
                    summary.added.append(file.name)
                    plugin.sandbox.close(deadline: .after(seconds: 1))
                case .failure(let error):
                    summary.failed.append(error)
                }
            }
            return .success(summary)
        }.get()
    }

    /// Re-scans the folder and applies the differences, after any reload in progress.
    @discardableResult
    public func reload() async -> ReloadSummary {
        await onControl { [self] in applyReload() }
    }

    /// ``reload()`` for callers that are not async: blocks the calling thread until it is done.
    @discardableResult
    public func reload() -> ReloadSummary {
        control.sync { applyReload() }
    }

    /// Reloads in the background (from a signal handler's queue, for instance). Requests that
    /// come while one is waiting to start are folded into it: a storm of SIGHUPs costs one or two
    /// scans, and the last scan always starts after the last request. `completion` runs only for
    /// requests that started a reload.
    public func requestReload(completion: @escaping @Sendable (ReloadSummary) -> Void = { _ in }) {
        let alreadyWaiting = reloadWaiting.withLock { waiting in
            defer { waiting = true }
            return waiting
        }
        guard !alreadyWaiting else { return }
        control.async { [self] in
            reloadWaiting.withLock { $0 = false }
            completion(applyReload())
        }
    }

    /// Stops every timer, lets running checks finish (each is bounded by its timeout) for at
    /// most `timeout` seconds, closes every plugin, and tells the sink each one is gone (`.shutdown`). Returns
    /// false when some check was still running at the end: it is abandoned, and what it waited
    /// for (sockets, programs) is cancelled before this returns. Reloads requested afterwards do
    /// nothing. The caller's task is suspended, never blocked, while the checks finish.
    @discardableResult
    public func stop(timeout: Double = 10) async -> Bool {
        await withCheckedContinuation { (continuation: CheckedContinuation<Bool, Never>) in
            control.async { [self] in
                let runners = beginStop()
                whenEmpty(runsEnded(runners), timeout: timeout) { [self] finished in
                    guard !finished else {
                        removed(runners)
                        return continuation.resume(returning: true)
                    }
                    whenEmpty(abandon(runners), timeout: Self.abandonTimeout) { [self] _ in
                        removed(runners)
                        continuation.resume(returning: false)
                    }
                }
            }
        }
    }

    /// ``stop(timeout:)`` for callers that are not async: blocks the calling thread
    /// until the checks finish or `timeout` passes.
    @discardableResult
    public func stop(timeout: Double = 10) -> Bool {
        control.sync {
            let runners = beginStop()
            let finished = runsEnded(runners).wait(timeout: .now() + max(0, timeout)) == .success
            if !finished { _ = abandon(runners).wait(timeout: .now() + Self.abandonTimeout) }
            removed(runners)
            return finished
        }
    }

    /// How long a stop waits for abandoned runs to cancel what they wait for. Only a run stuck in
    /// C (whose queue is held) takes it all.
    private static let abandonTimeout = 1.0

    /// On `control`: stops the watchdog and every timer, and forgets the runners.
    private func beginStop() -> [String: PluginRunner] {
        watchdog.withLock { $0 }?.cancel()
        let runners = registry.withLock { registry in
            registry.stopped = true
            defer { registry.runners = [:] }
            return registry.runners
        }
        for runner in runners.values { runner.stop() }
        return runners
    }

    /// A group left once every run in progress has ended.
    private func runsEnded(_ runners: [String: PluginRunner]) -> DispatchGroup {
        let group = DispatchGroup()
        for runner in runners.values { runner.notify(group) }
        return group
    }

    /// Abandons every run in progress; the group is left once each is cancelled.
    private func abandon(_ runners: [String: PluginRunner]) -> DispatchGroup {
        let group = DispatchGroup()
        for runner in runners.values { runner.abandonRun(group) }
        return group
    }

    private func removed(_ runners: [String: PluginRunner]) {
        for name in runners.keys.sorted() { sink.pluginRemoved(name, reason: .shutdown) }
    }

    /// Calls `then` once on `control`: with true when `group` is empty, or with false after
    /// `timeout` seconds, whichever comes first.
    private func whenEmpty(_ group: DispatchGroup, timeout: Double, then: @escaping @Sendable (Bool) -> Void) {
        let decided = Mutex(false)
        let once: @Sendable (Bool) -> Void = { result in
            guard !decided.withLock({ decided in defer { decided = true }; return decided }) else { return }
            then(result)
        }
        group.notify(queue: control) { once(true) }
        control.asyncAfter(deadline: .now() + max(0, timeout)) { once(false) }
    }

    /// Runs `body` on `control` (after any reload in progress) while the caller's task is suspended.
    private func onControl<Value: Sendable>(_ body: @escaping @Sendable () -> Value) async -> Value {
        await withCheckedContinuation { continuation in
            control.async { continuation.resume(returning: body()) }
        }
    }

    /// The watchdog's tick: marks runs stuck in C and moves the other plugins off the shared
    /// queue each of them holds.
    private func checkForStuckRuns() {
        let now = DispatchTime.now().uptimeNanoseconds
        let runners = registry.withLock { Array($0.runners.values) }
        for runner in runners {
            guard let stuckTarget = runner.watchdog(now: now) else { continue }
            guard queues.replace(stuckTarget) else { continue }
            for other in runners where other !== runner { other.leave(stuckTarget) }
        }
    }

    /// Checks in flight now (started and not finished), for tests and status.
    public var checksInFlight: Int { admission.inFlight }

    /// Names of the running plugins.
    public var pluginNames: [String] { registry.withLock { $0.runners.keys.sorted() } }

    // MARK: - Reload

    private func applyReload() -> ReloadSummary {
        guard !registry.withLock({ $0.stopped }) else { return ReloadSummary() }
        let summary = applyReloadUncounted()
        HostMetrics.reloaded(
            failed: summary.folderError != nil || !summary.failed.isEmpty,
            plugins: registry.withLock { $0.runners.count })
        return summary
    }

    private func applyReloadUncounted() -> ReloadSummary {
        var summary = ReloadSummary()
        let scan: PluginFolderScan
        do {
            scan = try folder.scan(reusing: registry.withLock { $0.lastScan })
        } catch {
            summary.folderError = error
            logger.error("reload skipped, the running plugins are kept: \(error)")
            return summary
        }
        summary.ignored = scan.ignored
        for (entry, reason) in scan.ignored {
            logger.warning("ignoring \(entry) in the plugins folder: \(reason)")
        }

        let (current, oldLibrary) = registry.withLock { ($0.runners, $0.libraryFingerprint) }
        let libraryChanged = scan.libraryFingerprint != oldLibrary
        let toLoad = scan.files.filter { file in
            guard let runner = current[file.name] else { return true }
            return libraryChanged || runner.contents != file.contents
        }
        let loaded = loadConcurrently(toLoad)

        for (file, result) in zip(toLoad, loaded) {
            let runner = current[file.name]
            switch result {
            case .success(let plugin):
                if let runner {
                    runner.replace(with: plugin, firstDelay: firstDelay(plugin))
                    summary.changed.append(file.name)
                } else {
                    let runner = registry.withLock { registry in
                        let runner = PluginRunner(
                            plugin: plugin, sink: sink, admission: admission, queues: queues, logger: logger,
                            level: registry.remembered.removeValue(forKey: file.name) ?? PluginLevel(),
                            mayRun: self.configuration.mayRun)
                        registry.runners[file.name] = runner
                        registry.failedLoads[file.name] = nil
                        registry.failedSince[file.name] = nil
                        return runner
                    }
                    sink.pluginAdded(file.name)
                    runner.start(firstDelay: firstDelay(plugin))
                    summary.added.append(file.name)
                }
            case .failure(let error):
                summary.failed.append(error)
                if let runner {
                    logger.error("\(error.description) (the previous version keeps running)")
                    let failure = CheckFailure(kind: .load, message: error.description)
                    runner.noteLoadError(failure)
                    sink.publish(
                        plugin: file.name, event: CheckFailure.eventName, json: failure.eventJSON(plugin: file.name),
                        level: runner.level)
                } else {
                    logger.error("\(error.description) (the plugin is not started)")
                    let now = PluginRunner.unixTime(Date().timeIntervalSince1970)
                    registry.withLock { registry in
                        registry.failedLoads[file.name] = error
                        if registry.failedSince[file.name] == nil { registry.failedSince[file.name] = now }
                    }
                }
            }
        }

        let present = Set(scan.files.map(\.name))
        let loadedNames = Set(toLoad.map(\.name))
        summary.unchanged = scan.files.map(\.name).filter { !loadedNames.contains($0) }
        let removed = registry.withLock { registry -> [PluginRunner] in
            registry.libraryFingerprint = scan.libraryFingerprint
            registry.lastScan = scan
            registry.failedLoads = registry.failedLoads.filter { present.contains($0.key) }
            registry.failedSince = registry.failedSince.filter { present.contains($0.key) }
            let gone = registry.runners.values.filter { !present.contains($0.name) }
            for runner in gone {
                registry.runners[runner.name] = nil
                registry.remembered[runner.name] = runner.level
            }
            return gone.sorted { $0.name < $1.name }
        }
        for runner in removed {
            runner.stop()
            runner.abandonRun()
            // After a result its last run was publishing: the stream's end comes last.
            runner.afterCurrentBlock { [sink] in sink.pluginRemoved(runner.name, reason: .deleted) }
            summary.removed.append(runner.name)
        }
        return summary
    }

    /// Loads scripts in parallel (each in its own new Lua state).
    private func loadConcurrently(_ files: [PluginFile]) -> [Result<LoadedPlugin, PluginLoadError>] {
        let results = Mutex([Result<LoadedPlugin, PluginLoadError>?](repeating: nil, count: files.count))
        let loader = self.loader
        DispatchQueue.concurrentPerform(iterations: files.count) { index in
            let result = loader.load(files[index])
            results.withLock { $0[index] = result }
        }
        return results.withLock { $0.compactMap { $0 } }
    }

    /// A fixed phase per plugin name within the start spread, so first runs do not all coincide.
    private func firstDelay(_ plugin: LoadedPlugin) -> Double {
        let window = min(configuration.startSpread, plugin.interval)
        guard window > 0 else { return 0 }
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in plugin.name.utf8 {
            hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3
        }
        return window * Double(hash % 10_000) / 10_000
    }
}

extension LuaLogLevel {
    var loggerLevel: Logger.Level {
        switch self {
        case .debug: .debug
        case .info: .info
        case .warning: .warning
        case .error: .error
        }
    }
}
