import Benchmark
import LuaKit

/// The plugin the check benchmarks run, the same as `bench/run plugin-scale` writes N times: a
/// counter and a 5-field table, stamped with `beacon.now()`.
enum TrivialPlugin {
    static let source = """
        schedule = "100ms"
        runs = 0
        function check_status()
          runs = runs + 1
          return { ok = true, runs = runs, load = 0.42, name = "trivial", at = beacon.now() }
        end
        """

    /// A fresh sandbox (the server's default limits) with `source`'s top level run.
    static func sandbox(source: String = source, name: String = "trivial") throws -> LuaSandbox {
        let sandbox = try LuaSandbox(limits: LuaLimits(), environment: LuaEnvironment())
        try sandbox.run(source: Array(source.utf8), chunkName: "\(name).lua", deadline: .after(seconds: 10))
        return sandbox
    }

    /// A sandbox for the benchmarks, made when they are registered.
    static func loaded(source: String = source) -> LuaSandbox {
        do {
            return try sandbox(source: source)
        } catch {
            fatalError("cannot load the benchmark plugin: \(error)")
        }
    }

    /// One run as the plugin host does it: `check_status()` started as a coroutine under the
    /// plugin's timeout and stepped once (a trivial check never waits), the result as JSON text,
    /// and the optional event name checked. Returns the JSON's length.
    static func run(_ sandbox: LuaSandbox, timeout: Double = 0.1) throws -> Int {
        let run = try sandbox.start("check_status", deadline: .after(seconds: timeout)) {}
        guard case .finished(let outcome) = run.step() else {
            run.cancel()
            throw LuaError(kind: .error, message: "the trivial check waited")
        }
        let result = try outcome.get()
        switch result.second {
        case .nil: return result.json.count
        case .string(let event): return result.json.count + event.utf8.count
        default: throw LuaError(kind: .badResult, message: "second value is not an event name")
        }
    }
}

func checkBenchmarks() {
    let inner = 1_000
    let scaled = Benchmark.Configuration(scalingFactor: .kilo)
    let trivial = TrivialPlugin.loaded()
    let empty = TrivialPlugin.loaded(source: "schedule = 1\nfunction check_status() return 0 end")

    Benchmark("Check: check_status() with a 5-field table, to JSON text", configuration: scaled) { benchmark in
        try ThreadCPU.measure(benchmark, count: inner) { blackHole(try TrivialPlugin.run(trivial)) }
    }

    Benchmark("Check: check_status() returning 0 (call overhead)", configuration: scaled) { benchmark in
        try ThreadCPU.measure(benchmark, count: inner) { blackHole(try TrivialPlugin.run(empty)) }
    }

    // What a start or reload pays per plugin before its first run: a new Lua state with the
    // sandboxed libraries, then the script's top level.
    Benchmark("Load: new sandbox and the trivial plugin's top level", configuration: .init(scalingFactor: .one)) {
        benchmark in
        let start = ThreadCPU.now()
        let sandbox = try TrivialPlugin.sandbox()
        benchmark.measurement(ThreadCPU.metric, ThreadCPU.now() - start)
        benchmark.stopMeasurement()
        sandbox.close(deadline: .after(seconds: 1))
    }
}
