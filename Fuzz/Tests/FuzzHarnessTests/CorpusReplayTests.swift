import FuzzHarness
import Testing

/// Every seed and every crash the fuzzers ever found, through the same entry points the fuzz
/// executables call, with the same invariants; run by `swift test` without the fuzzer.
@Suite("Fuzz corpus and regressions")
struct CorpusReplayTests {
    @Test(arguments: FuzzInputs.files(target: "routing"))
    func routing(_ path: String) throws {
        try RoutingFuzz.check(try FuzzInputs.bytes(path))
    }

    @Test(arguments: FuzzInputs.files(target: "luajson"))
    func luaJSON(_ path: String) throws {
        try LuaJSONFuzz.check(try FuzzInputs.bytes(path))
    }

    /// The folders exist and the corpus is not empty (a moved folder must not pass silently).
    @Test(arguments: ["routing", "luajson"])
    func inputsArePresent(_ target: String) {
        #expect(FuzzInputs.files(in: "Corpus/\(target)").count >= 10)
        #expect(FuzzInputs.exists("Regressions/\(target)/README.md"))
    }
}
