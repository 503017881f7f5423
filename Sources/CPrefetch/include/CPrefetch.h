#ifndef BEACON_CPREFETCH_H
#define BEACON_CPREFETCH_H

#include <stdint.h>

/// Asks the processor to start loading the `bytes` bytes from `address` into its caches, one
/// 64-byte line at a time, marked as about to be written where the processor has such a hint (a
/// plain prefetch otherwise). A hint only: it never faults, whatever the address, so a stale
/// address costs nothing but the hint.
static inline void beacon_prefetch_for_write(uintptr_t address, unsigned bytes) {
    for (unsigned offset = 0; offset < bytes; offset += 64) {
        __builtin_prefetch((const void *)(address + offset), 1, 3);
    }
}

#endif
