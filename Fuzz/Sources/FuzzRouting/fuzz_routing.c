// The routing fuzz target's entry points; the work is in Swift (FuzzHarness).
//
// The main module is C on purpose: SwiftPM renames a Swift executable's entry point and
// aliases `main` to it, which collides with the `main` libFuzzer links in with
// `-sanitize=fuzzer`. Built without the fuzzer (`swift build`, `swift test`), the weak `main`
// below replays the files named on the command line instead.
#include "fuzz_replay.h"

int beacon_fuzz_routing(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    return beacon_fuzz_routing(data, size);
}

__attribute__((weak)) int main(int argc, char **argv) {
    return beacon_fuzz_replay(argc, argv, LLVMFuzzerTestOneInput);
}
