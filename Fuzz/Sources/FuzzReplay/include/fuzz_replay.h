// Replays fuzz inputs from files, for builds of the fuzz targets without libFuzzer.
#ifndef BEACON_FUZZ_REPLAY_H
#define BEACON_FUZZ_REPLAY_H

#include <stddef.h>
#include <stdint.h>

/// Runs `test` on the contents of each file in `argv[1...]`; a broken invariant stops the
/// process (as under the fuzzer). Returns 0 when every file ran, 1 when one could not be read.
int beacon_fuzz_replay(int argc, char **argv, int (*test)(const uint8_t *, size_t));

#endif
