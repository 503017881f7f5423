import Benchmark
import NIOCore
import Synchronization

/// The fan-out bed of the benchmark running now (made in its setup, shut down in its teardown).
private let currentBed = Mutex<FanoutBed?>(nil)

/// The subscribers' event loop's CPU for one publish, divided by the subscribers.
private let perSubscriber = BenchmarkMetric.custom(
    "loop CPU ns/subscriber", polarity: .prefersSmaller, useScalingFactor: false)

func fanoutBenchmarks() {
    for subscribers in [1, 100, 1_000] {
        Benchmark(
            "Fan-out: one small event to \(subscribers) loopback subscribers",
            configuration: .init(
                metrics: [.wallClock, .throughput, ThreadCPU.metric, perSubscriber],
                maxDuration: .seconds(3), maxIterations: 5_000,
                setup: {
                    let bed = try FanoutBed(subscribers: subscribers)
                    currentBed.withLock { $0 = bed }
                },
                teardown: {
                    currentBed.withLock { bed in
                        bed?.shutdown()
                        bed = nil
                    }
                })
        ) { benchmark in
            guard let bed = currentBed.withLock({ $0 }) else {
                benchmark.error("no fan-out bed")
                return
            }
            // ThreadCPU here is the subscribers' loop thread, not the benchmark's.
            let loopCPU = try bed.publishAndWait(SampleData.small)
            benchmark.measurement(ThreadCPU.metric, loopCPU)
            benchmark.measurement(perSubscriber, loopCPU / subscribers)
        }
    }
}

/// The same fan-out to `EmbeddedChannel`s on one `EmbeddedEventLoop`: the hub's and the pipeline's
/// share of the per-subscriber cost, without the socket write that dominates the loopback figure.
func embeddedFanoutBenchmarks() {
    let subscribers = 1_000
    Benchmark(
        "Fan-out: one small event to \(subscribers) EmbeddedChannel subscribers (no socket)",
        configuration: .init(
            metrics: [ThreadCPU.metric, perSubscriber], warmupIterations: 1, maxDuration: .seconds(10), maxIterations: 5)
    ) { benchmark in
        // Each iteration builds its own channels (an EmbeddedEventLoop stays on one thread) and
        // records 200 publishes; only the custom metrics are reported.
        benchmark.stopMeasurement()
        let (hub, loop, channels) = try EmbeddedBed.make(subscribers: subscribers)
        for _ in 0..<200 {
            let start = ThreadCPU.now()
            hub.publish(stream: FanoutBed.stream, event: FanoutBed.stream, json: SampleData.small)
            loop.run()
            let used = ThreadCPU.now() - start
            benchmark.measurement(ThreadCPU.metric, used)
            benchmark.measurement(perSubscriber, used / subscribers)
            for channel in channels {
                while try channel.readOutbound(as: ByteBuffer.self) != nil {}
            }
        }
        for channel in channels { _ = try? channel.finish() }
    }
}
