// The C symbols the fuzz executables' `LLVMFuzzerTestOneInput` calls (see Sources/FuzzRouting).
// A broken invariant stops the process, so libFuzzer saves the input as a crash.

/// Entry point of the routing target: raw request bytes through a connection's pipeline.
@_cdecl("beacon_fuzz_routing")
public func beaconFuzzRouting(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzEntryPoints.run("routing", data, size, RoutingFuzz.check)
}

/// Entry point of the Lua → JSON target: bytes decoded into a Lua value, then encoded.
@_cdecl("beacon_fuzz_luajson")
public func beaconFuzzLuaJSON(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    FuzzEntryPoints.run("luajson", data, size, LuaJSONFuzz.check)
}

enum FuzzEntryPoints {
    static func run(
        _ target: String, _ data: UnsafePointer<UInt8>?, _ size: Int,
        _ check: ([UInt8]) throws(FuzzViolation) -> Void
    ) -> CInt {
        let input = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
        do {
            try check(input)
        } catch {
            fatalError("\(target) invariant broken: \(error.message)")
        }
        return 0
    }
}
