#include "fuzz_replay.h"

#include <stdio.h>
#include <stdlib.h>

int beacon_fuzz_replay(int argc, char **argv, int (*test)(const uint8_t *, size_t)) {
    if (argc < 2) {
        fprintf(stderr, "usage: %s FILE...  (built without libFuzzer: replays files; scripts/fuzz fuzzes)\n", argv[0]);
        return 2;
    }
    for (int i = 1; i < argc; i++) {
        FILE *file = fopen(argv[i], "rb");
        if (!file) {
            perror(argv[i]);
            return 1;
        }
        size_t capacity = 4096, size = 0, got;
        uint8_t *data = malloc(capacity);
        while (data && (got = fread(data + size, 1, capacity - size, file)) > 0) {
            size += got;
            if (size == capacity) {
                uint8_t *grown = realloc(data, capacity * 2);
                if (!grown) { free(data); data = NULL; break; }
                data = grown;
                capacity *= 2;
            }
        }
        fclose(file);
        if (!data) {
            fprintf(stderr, "%s: out of memory\n", argv[i]);
            return 1;
        }
        test(data, size);
        free(data);
        printf("ok %s (%zu bytes)\n", argv[i], size);
    }
    return 0;
}
