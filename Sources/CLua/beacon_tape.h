// The value tape: how Swift hands values to C, which pushes them (pushing can raise).
// Layout (native byte order): u64 count, then `count` values. A value is a tag byte:
//   0 nil, 1 false, 2 true, 3 integer (i64), 4 number (f64), 5 string (u64 length, bytes),
//   6 table (u64 array count, u64 field count, array values, then fields as
//     (u64 key length, key bytes, value)).
#ifndef BEACON_TAPE_H
#define BEACON_TAPE_H

#include "beacon_context.h"

#define BEACON_TAPE_MAX_DEPTH 200

typedef struct beacon_tape_reader {
    const unsigned char *p, *end;
} beacon_tape_reader;

static inline int beacon_tape_fail(lua_State *L) {
    return luaL_error(L, "beacon: malformed value tape (bug in the Lua bridge)");
}

static inline uint64_t beacon_tape_u64(lua_State *L, beacon_tape_reader *r) {
    uint64_t v;
    if ((size_t)(r->end - r->p) < sizeof v) beacon_tape_fail(L);
    memcpy(&v, r->p, sizeof v);
    r->p += sizeof v;
    return v;
}

/// Pushes a length-prefixed string.
static inline void beacon_tape_push_string(lua_State *L, beacon_tape_reader *r) {
    uint64_t n = beacon_tape_u64(L, r);
    if (n > (uint64_t)(r->end - r->p)) beacon_tape_fail(L);
    lua_pushlstring(L, (const char *)r->p, (size_t)n);
    r->p += n;
}

/// Pushes one value.
static inline void beacon_tape_push_value(lua_State *L, beacon_tape_reader *r, int depth) {
    if (r->p >= r->end || depth > BEACON_TAPE_MAX_DEPTH) beacon_tape_fail(L);
    luaL_checkstack(L, 3, "value nested too deeply");
    switch (*r->p++) {
    case 0: lua_pushnil(L); break;
    case 1: lua_pushboolean(L, 0); break;
    case 2: lua_pushboolean(L, 1); break;
    case 3: {
        int64_t i;
        if ((size_t)(r->end - r->p) < sizeof i) beacon_tape_fail(L);
        memcpy(&i, r->p, sizeof i);
        r->p += sizeof i;
        lua_pushinteger(L, (lua_Integer)i);
        break;
    }
    case 4: {
        double d;
        if ((size_t)(r->end - r->p) < sizeof d) beacon_tape_fail(L);
        memcpy(&d, r->p, sizeof d);
        r->p += sizeof d;
        lua_pushnumber(L, (lua_Number)d);
        break;
    }
    case 5: beacon_tape_push_string(L, r); break;
    case 6: {
        uint64_t narr = beacon_tape_u64(L, r);
        uint64_t nrec = beacon_tape_u64(L, r);
        uint64_t left = (uint64_t)(r->end - r->p); // every entry takes at least one byte
        if (narr > left || nrec > left || narr > INT32_MAX || nrec > INT32_MAX) beacon_tape_fail(L);
        lua_createtable(L, (int)narr, (int)nrec);          /* pushes the table */
        for (uint64_t i = 0; i < narr; i++) {
            beacon_tape_push_value(L, r, depth + 1);        /* pushes the item */
            lua_rawseti(L, -2, (lua_Integer)(i + 1));       /* pops it */
        }
        for (uint64_t i = 0; i < nrec; i++) {
            beacon_tape_push_string(L, r);                  /* pushes the key */
            beacon_tape_push_value(L, r, depth + 1);        /* pushes the value */
            lua_rawset(L, -3);                              /* pops both */
        }
        break;
    }
    default: beacon_tape_fail(L);
    }
}

/// Pushes every value of the context's tape; returns how many. May raise (memory).
/// The tape is first copied into a Lua string anchored on the stack: pushing can run a
/// finalizer that calls a host function, which would overwrite the context's tape.
static inline int beacon_tape_push_all(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_pushlstring(L, (const char *)c->tape, c->tape_length);  /* pushes the copy */
    int copy = lua_gettop(L);
    size_t length;
    const char *bytes = lua_tolstring(L, copy, &length);
    beacon_tape_reader r = { (const unsigned char *)bytes, (const unsigned char *)bytes + length };
    uint64_t count = beacon_tape_u64(L, &r);
    if (count > length) beacon_tape_fail(L);
    luaL_checkstack(L, (int)count + 3, "too many results");
    for (uint64_t i = 0; i < count; i++) beacon_tape_push_value(L, &r, 0);
    lua_remove(L, copy);                                         /* pops the copy */
    return (int)count;
}

#endif
