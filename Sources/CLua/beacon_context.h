// Per-state context: memory accounting, deadline, and the Swift callbacks.
// Stored as the allocator's userdata, so any lua_State (main or coroutine) finds it with
// lua_getallocf, which cannot raise.
#ifndef BEACON_CONTEXT_H
#define BEACON_CONTEXT_H

#include <lua.h>
#include <lauxlib.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/// Instructions between two deadline checks while the deadline has not passed.
#define BEACON_HOOK_COUNT 1000
#define BEACON_WHERE_MAX 256

/// Calls back into Swift for a host function. Swift reads the arguments with non-raising API
/// only, stores its answer in the context's tape (or pushes values with non-raising API) and
/// returns a BEACON_CALL_* code. `flags` is a set of BEACON_FLAG_*.
typedef int (*beacon_call_fn)(void *swift, lua_State *L, int id, int flags);
/// Hands a log line to Swift (level: 0 debug, 1 info, 2 warning, 3 error).
typedef void (*beacon_log_fn)(void *swift, int level, const char *message, size_t length);
/// Tells Swift of a thread made by beacon.spawn, anchored in the registry at `ref`, its function
/// and arguments on its stack. Returns the handle's id (> 0), or 0 with a message on the tape.
typedef long long (*beacon_spawn_fn)(void *swift, lua_State *thread, int ref);

enum {
    BEACON_CALL_VALUES = 0, // tape holds values to return
    BEACON_CALL_ERROR = 1,  // tape holds a message to raise
    BEACON_CALL_YIELD = 2,  // the answer comes later: yield, and ask again when resumed
    BEACON_CALL_PUSHED = 3, // Swift pushed `pushed` values to return
    BEACON_CALL_RAISE = 4,  // tape holds a message to raise as it is (it names its place)
};

enum {
    BEACON_FLAG_CAN_YIELD = 1, // the caller may be suspended (else the answer is needed now)
    BEACON_FLAG_RESUMED = 2,   // asked again after a BEACON_CALL_YIELD, once resumed
};

/// Why a thread yielded to Swift.
enum {
    BEACON_YIELD_NONE = 0,  // plain coroutine.yield: not Beacon's
    BEACON_YIELD_CALL = 1,  // waiting for a host call's answer (or for beacon.wait)
    BEACON_YIELD_SLICE = 2, // the deadline hook ended a time slice of a long computation
    BEACON_YIELD_TURN = 3,  // beacon.spawn gives the new thread its first turn
};

/// What the yielders table says of a thread.
enum {
    BEACON_YIELDER_NONE = 0,  // any other thread: host calls wait on the thread where they are
    BEACON_YIELDER_HOST = 1,  // a thread Swift resumes (a run, a beacon.spawn): it may yield
    BEACON_YIELDER_OWN = 2,   // the plugin's own coroutine, resumed by the prelude's resume from a
                              // yielder: a host call yields it with the pending marker, and each
                              // resume up the chain passes the wait on
};

typedef struct beacon_context {
    size_t used;          // bytes currently allocated by the state
    size_t limit;         // hard cap; 0 = unlimited
    int memory_failed;    // an allocation was refused since beacon_begin
    int timed_out;        // the deadline passed since beacon_begin
    uint64_t deadline_ns; // CLOCK_MONOTONIC
    char where[BEACON_WHERE_MAX]; // "chunk:line" where the deadline hit
    char *traceback;      // traceback of the last error that reached a beacon pcall (malloc)
    unsigned char *tape;  // answer of the last Swift callback (malloc)
    size_t tape_length, tape_capacity;
    char *warning;        // pieces of a warning being assembled (malloc)
    size_t warning_length;
    const char *argument; // input of the current protected operation
    size_t argument_length;
    void *subject;        // the thread the current protected operation is about
    void *swift;          // unretained Swift object behind the callbacks
    beacon_call_fn call;
    beacon_log_fn log;
    beacon_spawn_fn spawn;
    int pushed;           // values pushed by Swift for BEACON_CALL_PUSHED
    int yield_reason;     // BEACON_YIELD_* of the last yield to Swift
    int yielders_ref;     // registry ref of the yielders table (weak keys: thread -> BEACON_YIELDER_*)
    uint64_t slice_ns;    // a host thread computing longer than this since its resume yields; 0: never
    uint64_t slice_start_ns; // when Swift last resumed a host thread (CLOCK_MONOTONIC)
} beacon_context;

static inline uint64_t beacon_monotonic_ns(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline beacon_context *beacon_context_of(lua_State *L) {
    void *ud = NULL;
    lua_getallocf(L, &ud);
    return (beacon_context *)ud;
}

static inline beacon_context *beacon_context_new(size_t limit) {
    beacon_context *c = (beacon_context *)calloc(1, sizeof(beacon_context));
    if (c) { c->limit = limit; c->deadline_ns = UINT64_MAX; c->yielders_ref = LUA_NOREF; }
    return c;
}

/// What the yielders table says of thread L. Raises nothing (raw access, no allocation); needs
/// two free stack slots.
static inline int beacon_yielder_kind(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    if (c->yielders_ref == LUA_NOREF) return BEACON_YIELDER_NONE;
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->yielders_ref);       /* pushes the table */
    if (lua_type(L, -1) != LUA_TTABLE) { lua_pop(L, 1); return BEACON_YIELDER_NONE; }
    lua_pushthread(L);                                         /* pushes L */
    lua_rawget(L, -2);                                         /* replaces it by its kind */
    int kind = (int)lua_tointegerx(L, -1, NULL);
    lua_pop(L, 2);
    return kind;
}

static inline void beacon_context_free(beacon_context *c) {
    if (!c) return;
    free(c->traceback);
    free(c->tape);
    free(c->warning);
    free(c);
}

/// Copies `length` bytes into the tape. Returns 0 when memory is exhausted.
static inline int beacon_tape_set(beacon_context *c, const void *bytes, size_t length) {
    if (length > c->tape_capacity) {
        size_t capacity = length < 256 ? 256 : length;
        unsigned char *tape = (unsigned char *)realloc(c->tape, capacity);
        if (!tape) return 0;
        c->tape = tape;
        c->tape_capacity = capacity;
    }
    if (length) memcpy(c->tape, bytes, length);
    c->tape_length = length;
    return 1;
}

/// Lua's allocator, counting bytes against the cap. Shrinking and freeing always succeed.
static inline void *beacon_alloc(void *ud, void *ptr, size_t osize, size_t nsize) {
    beacon_context *c = (beacon_context *)ud;
    size_t old = ptr ? osize : 0; // without ptr, osize is a type tag
    if (nsize == 0) {
        free(ptr);
        c->used -= old;
        return NULL;
    }
    if (nsize > old && c->limit && nsize - old > c->limit - c->used) {
        c->memory_failed = 1;
        return NULL;
    }
    void *p = realloc(ptr, nsize);
    if (!p) {
        if (nsize <= old) return ptr; // Lua assumes shrinking never fails
        c->memory_failed = 1;
        return NULL;
    }
    c->used = c->used - old + nsize;
    return p;
}

/// Only reached if a Lua error escapes every protected call: a bug in this bridge.
static inline int beacon_panic(lua_State *L) {
    const char *message = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : "(not a string)";
    fprintf(stderr, "beacon: unprotected Lua error (bug in the Lua bridge): %s\n", message);
    fflush(stderr);
    abort();
    return 0;
}

/// Deadline hook. Runs every BEACON_HOOK_COUNT instructions; once the deadline has passed it
/// raises on every line and instruction, so a plugin's pcall cannot swallow the timeout.
static inline void beacon_hook(lua_State *L, lua_Debug *ar) {
    beacon_context *c = beacon_context_of(L);
    if (!c->timed_out) {
        uint64_t now = beacon_monotonic_ns();
        if (now < c->deadline_ns) {
            // A thread re-armed by an earlier timeout goes back to the cheap mode.
            if (lua_gethookmask(L) != LUA_MASKCOUNT || lua_gethookcount(L) != BEACON_HOOK_COUNT)
                lua_sethook(L, beacon_hook, LUA_MASKCOUNT, BEACON_HOOK_COUNT);
            // A long computation in a thread Swift resumes gives its thread back now and then
            // (count events only may yield, with no values; the thread goes on when resumed).
            if (c->slice_ns && now - c->slice_start_ns >= c->slice_ns && ar->event == LUA_HOOKCOUNT
                && lua_isyieldable(L) && lua_checkstack(L, 2)
                && beacon_yielder_kind(L) == BEACON_YIELDER_HOST) {
                c->yield_reason = BEACON_YIELD_SLICE;
                lua_yield(L, 0);
            }
            return;
        }
        c->timed_out = 1;
        if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
            snprintf(c->where, sizeof c->where, "%s:%d", ar->short_src, ar->currentline);
        else if (lua_getinfo(L, "S", ar))
            snprintf(c->where, sizeof c->where, "%s", ar->short_src);
    }
    lua_sethook(L, beacon_hook, LUA_MASKLINE | LUA_MASKCOUNT, 1);
    lua_pushliteral(L, "deadline exceeded");
    lua_error(L);
}

/// Warnings (errors in __gc finalizers, `warn(...)`) go to the log at level warning.
/// Control messages ("@on", "@off") are ignored: warnings are always on.
static inline void beacon_warn(void *ud, const char *message, int tocont) {
    beacon_context *c = (beacon_context *)ud;
    size_t n = strlen(message);
    if (c->warning_length == 0 && !tocont && message[0] == '@') return;
    if (c->warning_length < 4096) {
        size_t room = 4096 - c->warning_length;
        if (n > room) n = room;
        char *w = (char *)realloc(c->warning, c->warning_length + n + 1);
        if (w) {
            memcpy(w + c->warning_length, message, n);
            c->warning_length += n;
            w[c->warning_length] = 0;
            c->warning = w;
        }
    }
    if (!tocont) {
        if (c->log && c->warning) c->log(c->swift, 2, c->warning, c->warning_length);
        c->warning_length = 0;
    }
}

/// A new state using `c` for memory, panics, warnings and the deadline hook.
static inline lua_State *beacon_newstate(beacon_context *c) {
    lua_State *L = lua_newstate(beacon_alloc, c);
    if (!L) return NULL;
    lua_atpanic(L, beacon_panic);
    lua_setwarnf(L, beacon_warn, c);
    lua_sethook(L, beacon_hook, LUA_MASKCOUNT, BEACON_HOOK_COUNT);
    return L;
}

/// Starts an operation: sets the deadline, clears the flags, re-arms the cheap hook.
static inline void beacon_begin(lua_State *L, uint64_t deadline_ns) {
    beacon_context *c = beacon_context_of(L);
    c->deadline_ns = deadline_ns;
    c->timed_out = 0;
    c->memory_failed = 0;
    c->where[0] = 0;
    free(c->traceback);
    c->traceback = NULL;
    lua_sethook(L, beacon_hook, LUA_MASKCOUNT, BEACON_HOOK_COUNT);
}

/// Closes the state: finalizers run under the deadline set by beacon_begin.
static inline void beacon_close(lua_State *L) {
    lua_close(L);
}

#endif
