import NIOCore
import NIOHTTP1
import NIOPosix

/// One `load` run: dial at the ramp rate, wait until every dial has connected or failed, measure
/// a window of the streams, then close everything. Bounded in time by the settings.
struct LoadRun: Sendable {
    let settings: LoadSettings

    /// Linux's IP_BIND_ADDRESS_NO_PORT: a bound source address gets its port at connect time,
    /// so ports are shared across destinations instead of reserved per address.
    private static let bindAddressNoPort = NIOBSDSocket.Option(rawValue: 24)

    /// Runs and returns what was measured.
    func run() async throws -> LoadReport {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: settings.threads)
        let loops = group.makeIterator().map { LoopStats(loop: $0) }
        do {
            let report = try await measure(loops)
            await closeAll(loops)
            try? await group.shutdownGracefully()
            return report
        } catch {
            await closeAll(loops)
            try? await group.shutdownGracefully()
            throw error
        }
    }

    private func measure(_ loops: [LoopStats]) async throws -> LoadReport {
        let idle = try settings.pids.isEmpty ? nil : ProcessSample.take(settings.pids)
        let rampStart = NIODeadline.now()
        var report = LoadReport(settings: settings, idle: idle)
        if settings.measureDuringRamp {
            try await openWindow(loops, into: &report)
        }
        let dialer = Task { await dialAll(loops, from: rampStart) }

        let windowEnd: NIODeadline
        if settings.measureDuringRamp {
            windowEnd = rampStart + .nanoseconds(Int64(settings.duration * 1e9))
        } else {
            windowEnd = .distantFuture
        }
        let dialLimit = rampStart + .nanoseconds(Int64(settings.dialLimitSeconds * 1e9))
        while NIODeadline.now() < min(windowEnd, dialLimit) {
            if await resolved(loops) >= settings.connections {
                report.rampSeconds = Self.seconds(since: rampStart)
                break
            }
            try await Task.sleep(for: .milliseconds(20))
        }
        if !settings.measureDuringRamp {
            try await openWindow(loops, into: &report)
        }
        let end = report.windowOpened + .nanoseconds(Int64(settings.duration * 1e9))
        while NIODeadline.now() < end {
            let left = end - NIODeadline.now()
            try await Task.sleep(for: .nanoseconds(min(left.nanoseconds, 20_000_000)))
            if report.rampSeconds == nil, await resolved(loops) >= settings.connections {
                report.rampSeconds = Self.seconds(since: rampStart)
            }
        }
        try await closeWindow(loops, into: &report)
        dialer.cancel()
        await dialer.value
        return report
    }

    // MARK: - Dialing

    /// Dials every subscriber, `ramp` per second, until all are dialed or the task is cancelled.
    private func dialAll(_ loops: [LoopStats], from start: NIODeadline) async {
        let requests = settings.urls.map(Self.request)
        var dialed = 0
        while dialed < settings.connections, !Task.isCancelled {
            let due = min(settings.connections, Int(Self.seconds(since: start) * settings.ramp) + 1)
            while dialed < due {
                dial(dialed, loops: loops, requests: requests)
                dialed += 1
            }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    private func dial(_ index: Int, loops: [LoopStats], requests: [HTTPRequestHead]) {
        let stats = loops[index % loops.count]
        let url = settings.urls[index % settings.urls.count]
        let request = requests[index % requests.count]
        let timeout = TimeAmount.nanoseconds(Int64(settings.connectTimeout * 1e9))
        let headDeadline = NIODeadline.now() + timeout
        let subscriber = settings.subscriber
        var bootstrap = ClientBootstrap(group: stats.loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(
                        SubscriberHandler(stats: stats, request: request, settings: subscriber, headDeadline: headDeadline))
                }
            }
        if !settings.sources.isEmpty {
            let source = settings.sources[index % settings.sources.count]
            bootstrap = bootstrap.bind(to: source)
            #if os(Linux)
            if source.protocol == .inet {
                bootstrap = bootstrap.channelOption(ChannelOptions.ipOption(Self.bindAddressNoPort), value: 1)
            }
            #endif
        }
        bootstrap.connect(to: url.address).whenFailure { error in
            stats.fail(FailureReason.name(of: error))
        }
    }

    private static func request(for url: LoopbackURL) -> HTTPRequestHead {
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.path)
        head.headers.add(name: "Host", value: url.hostHeader)
        head.headers.add(name: "Accept", value: "text/event-stream")
        head.headers.add(name: "Cache-Control", value: "no-cache")
        head.headers.add(name: "User-Agent", value: "beacon-bench")
        return head
    }

    // MARK: - The window

    private func openWindow(_ loops: [LoopStats], into report: inout LoadReport) async throws {
        report.windowOpened = .now()
        report.serverStart = try settings.pids.isEmpty ? nil : ProcessSample.take(settings.pids)
        report.ownCPUStart = ProcessSample.ownCPUSeconds()
        for stats in loops {
            try await stats.loop.submit { stats.startWindow() }.get()
        }
    }

    private func closeWindow(_ loops: [LoopStats], into report: inout LoadReport) async throws {
        var totals = LoopStats.Snapshot()
        for stats in loops {
            totals.add(try await stats.loop.submit { () -> LoopStats.Snapshot in
                stats.stopWindow()
                return stats.snapshot()
            }.get())
        }
        report.windowSeconds = Self.seconds(since: report.windowOpened)
        report.serverEnd = try settings.pids.isEmpty ? nil : ProcessSample.take(settings.pids)
        report.ownCPUEnd = ProcessSample.ownCPUSeconds()
        report.totals = totals
    }

    /// Dials that have connected or failed, on every loop.
    private func resolved(_ loops: [LoopStats]) async -> Int {
        var resolved = 0
        for stats in loops {
            resolved += (try? await stats.loop.submit { stats.counts.connected + stats.counts.failed }.get()) ?? 0
        }
        return resolved
    }

    /// Closes every connection, waiting at most 5 s for the loops to get to it.
    private func closeAll(_ loops: [LoopStats]) async {
        for stats in loops {
            _ = try? await stats.loop.submit { stats.closeAll() }.get()
        }
        let deadline = NIODeadline.now() + .seconds(5)
        while NIODeadline.now() < deadline {
            var open = 0
            for stats in loops {
                open += (try? await stats.loop.submit { stats.remaining }.get()) ?? 0
            }
            if open == 0 { return }
            try? await Task.sleep(for: .milliseconds(20))
        }
    }

    private static func seconds(since start: NIODeadline) -> Double {
        Double((NIODeadline.now() - start).nanoseconds) / 1e9
    }
}
