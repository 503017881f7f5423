import Benchmark

/// Beacon's micro benchmarks: the cost of one check, of JSON encoding, of SSE framing and of
/// fanning one event out to many subscribers. `swift package benchmark` (from `bench/micro`) runs
/// them; docs/BENCHMARKS.md has the commands and the figures.
let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, .throughput, .mallocCountTotal, ThreadCPU.metric],
        timeUnits: .nanoseconds,
        warmupIterations: 10,
        maxDuration: .seconds(2),
        maxIterations: 100_000
    )
    checkBenchmarks()
    jsonBenchmarks()
    framingBenchmarks()
    fanoutBenchmarks()
    embeddedFanoutBenchmarks()
}
