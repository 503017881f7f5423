import Benchmark
import LuaKit

/// Results kept in globals, so that a run only returns them: what is left of a check is the
/// encoding of the table on the Lua stack into JSON text (the result path), plus the call.
enum PrebuiltResults {
    /// The trivial plugin's 5 fields, built once.
    static let small = """
        schedule = 1
        result = { ok = true, runs = 12345, load = 0.42, name = "trivial", at = 1764023410 }
        function check_status() return result end
        """

    /// About 8 KiB of JSON: 71 objects of 6 fields in an array, under two more fields.
    static let large = """
        schedule = 1
        local disks = {}
        for i = 1, 71 do
          disks[i] = { name = string.format("disk-%03d", i), mount = "/srv/data/" .. i, used = i * 1048576,
                       total = 68719476736, ratio = i / 71, ok = true }
        end
        result = { host = "bench-host", disks = disks, checked_at = 1764023410.25 }
        function check_status() return result end
        """
}

func jsonBenchmarks() {
    let inner = 1_000
    let small = TrivialPlugin.loaded(source: PrebuiltResults.small)
    let large = TrivialPlugin.loaded(source: PrebuiltResults.large)
    let largeBytes = (try? large.call("check_status", deadline: .never))?.json.count ?? 0
    let largeLabel = "\(largeBytes) B"
    let smallValue = small.global("result")
    let largeValue = large.global("result")

    // The result path: LuaSandbox.call encodes the returned table straight from the Lua stack.
    Benchmark("JSON: result path, prebuilt 5-field table (call included)", configuration: .init(scalingFactor: .kilo)) {
        benchmark in
        try ThreadCPU.measure(benchmark, count: inner) { blackHole(try TrivialPlugin.run(small)) }
    }
    Benchmark("JSON: result path, prebuilt \(largeLabel) table (call included)", configuration: .init(scalingFactor: .kilo)) {
        benchmark in
        try ThreadCPU.measure(benchmark, count: inner) { blackHole(try TrivialPlugin.run(large)) }
    }

    // LuaJSON.encode: the same rules from a Swift LuaValue (the beacon.json.encode path).
    Benchmark("JSON: LuaJSON.encode, 5-field value", configuration: .init(scalingFactor: .kilo)) { benchmark in
        try ThreadCPU.measure(benchmark, count: inner) { blackHole(try LuaJSON.encode(smallValue)) }
    }
    Benchmark("JSON: LuaJSON.encode, \(largeLabel) value", configuration: .init(scalingFactor: .kilo)) { benchmark in
        try ThreadCPU.measure(benchmark, count: inner) { blackHole(try LuaJSON.encode(largeValue)) }
    }
}
