// C functions installed into the sandbox: print, beacon.log, beacon.now, the host-function
// trampoline, and the message handler every beacon pcall uses.
#ifndef BEACON_LIBRARY_H
#define BEACON_LIBRARY_H

#include "beacon_tape.h"

/// print(...): tostring'd arguments joined by tabs, to the log at level info.
static inline int beacon_lua_print(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    int n = lua_gettop(L);
    luaL_Buffer b;
    luaL_buffinit(L, &b);
    for (int i = 1; i <= n; i++) {
        if (i > 1) luaL_addchar(&b, '\t');
        luaL_tolstring(L, i, NULL);                         /* pushes the string */
        luaL_addvalue(&b);                                  /* pops it */
    }
    luaL_pushresult(&b);                                    /* pushes the line */
    size_t length;
    const char *line = lua_tolstring(L, -1, &length);
    if (c->log) c->log(c->swift, 1, line, length);
    return 0;
}

/// beacon.log(level, message)
static inline int beacon_lua_log(lua_State *L) {
    static const char *const names[] = { "debug", "info", "warning", "error", "warn", NULL };
    static const int levels[] = { 0, 1, 2, 3, 2 };
    beacon_context *c = beacon_context_of(L);
    const char *name = luaL_checkstring(L, 1);
    int level = -1;
    for (int i = 0; names[i]; i++) {
        if (strcmp(name, names[i]) == 0) { level = levels[i]; break; }
    }
    if (level < 0)
        return luaL_error(L, "beacon.log: unknown level '%s' (use \"debug\", \"info\", \"warning\" or \"error\")", name);
    size_t length;
    const char *message = luaL_tolstring(L, 2, &length);   /* pushes the message */
    if (c->log) c->log(c->swift, level, message, length);
    return 0;
}

/// beacon.now(): Unix time in seconds, microsecond resolution.
static inline int beacon_lua_now(lua_State *L) {
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    lua_pushnumber(L, (lua_Number)ts.tv_sec + (lua_Number)(ts.tv_nsec / 1000) / 1e6);
    return 1;
}

static int beacon_lua_trampoline_k(lua_State *L, int status, lua_KContext ctx);

/// Asks Swift for host function `id` and acts on its answer: returns values, raises a message
/// (in this C frame), or suspends the thread until Swift resumes it and is asked again. The
/// yield happens here, in C, through lua_yieldk: never across a Swift frame.
static inline int beacon_lua_dispatch(lua_State *L, int id, int flags) {
    beacon_context *c = beacon_context_of(L);
    if (!c->call) return luaL_error(L, "host functions are not available");
    luaL_checkstack(L, 4, "host call");
    int kind = lua_isyieldable(L) ? beacon_yielder_kind(L) : BEACON_YIELDER_NONE;
    if (kind != BEACON_YIELDER_NONE) flags |= BEACON_FLAG_CAN_YIELD;
    c->pushed = 0;
    int status = c->call(c->swift, L, id, flags);
    switch (status) {
    case BEACON_CALL_VALUES:
        return beacon_tape_push_all(L);
    case BEACON_CALL_PUSHED:
        return c->pushed;
    case BEACON_CALL_YIELD:
        if (!(flags & BEACON_FLAG_CAN_YIELD)) break;           /* a bug in Swift: raise below */
        c->yield_reason = BEACON_YIELD_CALL;
        if (kind == BEACON_YIELDER_OWN) {
            lua_pushlightuserdata(L, c);                        /* pushes the pending marker */
            return lua_yieldk(L, 1, id, beacon_lua_trampoline_k);
        }
        return lua_yieldk(L, 0, id, beacon_lua_trampoline_k);
    case BEACON_CALL_RAISE:
        lua_pushlstring(L, (const char *)c->tape, c->tape_length); /* pushes the message */
        return lua_error(L);
    default:
        break;
    }
    luaL_where(L, 1);                                           /* pushes "chunk:line: " */
    lua_pushlstring(L, (const char *)c->tape, c->tape_length);  /* pushes the message */
    lua_concat(L, 2);                                           /* pops both, pushes one */
    return lua_error(L);
}

/// Continues a host call after its thread was resumed: asks Swift again for the answer.
static int beacon_lua_trampoline_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    return beacon_lua_dispatch(L, (int)ctx, BEACON_FLAG_RESUMED);
}

/// A host function: upvalue 1 is its id. Swift answers through the tape; C pushes the values
/// or raises the message, so the raise happens in a C frame.
static inline int beacon_lua_trampoline(lua_State *L) {
    int id = (int)lua_tointegerx(L, lua_upvalueindex(1), NULL);
    return beacon_lua_dispatch(L, id, 0);
}

/// Continues beacon.spawn once the new thread has had its first turn: returns the handle.
static int beacon_lua_spawn_k(lua_State *L, int status, lua_KContext ctx) {
    (void)status;
    (void)ctx;
    return 1;                                                   /* the handle, still on top */
}

/// beacon.spawn(fn, ...): a new thread that runs fn(...) alongside the caller; returns a handle
/// for beacon.wait. The new thread runs first, until it waits or ends; where the caller cannot
/// yield, it starts when the caller next waits or ends a time slice.
static inline int beacon_lua_spawn(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    luaL_checktype(L, 1, LUA_TFUNCTION);
    int n = lua_gettop(L);
    if (!c->spawn) return luaL_error(L, "beacon.spawn is only available while a check runs");
    luaL_checkstack(L, n + 4, "beacon.spawn");
    lua_State *T = lua_newthread(L);                            /* pushes the thread */
    if (!lua_checkstack(T, n + 4)) return luaL_error(L, "beacon.spawn: too many arguments");
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->yielders_ref);         /* pushes the yielders table */
    lua_pushvalue(L, -2);                                       /* pushes the thread */
    lua_pushinteger(L, BEACON_YIELDER_HOST);
    lua_rawset(L, -3);                                          /* pops both */
    lua_pop(L, 1);                                              /* pops the table */
    for (int i = 1; i <= n; i++) lua_pushvalue(L, i);           /* pushes fn and its arguments */
    lua_xmove(L, T, n);                                         /* moves them to the thread */
    void *handle = lua_newuserdatauv(L, sizeof(long long), 0);  /* pushes the handle */
    luaL_setmetatable(L, "beacon.handle");
    lua_insert(L, -2);                                          /* handle below the thread */
    int ref = luaL_ref(L, LUA_REGISTRYINDEX);                   /* pops the thread */
    long long id = c->spawn(c->swift, T, ref);
    if (id <= 0) {
        luaL_unref(L, LUA_REGISTRYINDEX, ref);
        luaL_where(L, 1);
        lua_pushlstring(L, (const char *)c->tape, c->tape_length);
        lua_concat(L, 2);
        return lua_error(L);
    }
    *(long long *)handle = id;
    /* The new thread starts at once: a thread Swift resumes lets it go first and continues after it. */
    if (lua_isyieldable(L) && beacon_yielder_kind(L) == BEACON_YIELDER_HOST) {
        c->yield_reason = BEACON_YIELD_TURN;
        return lua_yieldk(L, 0, 0, beacon_lua_spawn_k);
    }
    return 1;                                                   /* the handle */
}

/// beacon.wait(h1, ...): upvalue 1 is its id. Checks the handles here (raising in C), then
/// dispatches like a host function: Swift answers at once, or when every handle has finished.
static inline int beacon_lua_wait(lua_State *L) {
    int n = lua_gettop(L);
    if (n == 0) return luaL_error(L, "bad argument #1 to 'wait' (a handle from beacon.spawn expected, got no value)");
    for (int i = 1; i <= n; i++) luaL_checkudata(L, i, "beacon.handle");
    int id = (int)lua_tointegerx(L, lua_upvalueindex(1), NULL);
    return beacon_lua_dispatch(L, id, 0);
}

/// kit.waiter(id): makes beacon.wait (prelude only).
static inline int beacon_lua_make_waiter(lua_State *L) {
    (void)luaL_checkinteger(L, 1);
    lua_settop(L, 1);
    lua_pushcclosure(L, beacon_lua_wait, 1);                 /* pops the id, pushes the closure */
    return 1;
}

/// beacon handle's __tostring.
static inline int beacon_lua_handle_tostring(lua_State *L) {
    long long *id = (long long *)luaL_checkudata(L, 1, "beacon.handle");
    lua_pushfstring(L, "beacon handle %I", (lua_Integer)*id);
    return 1;
}

/// kit.callback(id): makes the trampoline for host function `id` (prelude only).
static inline int beacon_lua_make_callback(lua_State *L) {
    (void)luaL_checkinteger(L, 1);
    lua_settop(L, 1);
    lua_pushcclosure(L, beacon_lua_trampoline, 1);           /* pops the id, pushes the closure */
    return 1;
}

static inline int beacon_p_tostring(lua_State *L) {
    luaL_tolstring(L, 1, NULL);                              /* pushes the string */
    return 1;
}

/// Replaces the value at the top with a string describing it as an error message (a string
/// stays as it is; a bad __tostring never raises out of here, but memory errors may).
static inline void beacon_error_to_string(lua_State *L) {
    int object = lua_gettop(L);
    int type = lua_type(L, object);
    if (type == LUA_TSTRING) return;
    if (type == LUA_TNUMBER || type == LUA_TBOOLEAN) {
        lua_pushcfunction(L, beacon_p_tostring);
        lua_pushvalue(L, object);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING)
            lua_pushfstring(L, "(error object is a %s value)", lua_typename(L, type));
    } else if (type == LUA_TNIL || type == LUA_TNONE) {
        lua_pushliteral(L, "(error object is a nil value)");
    } else if (luaL_getmetafield(L, object, "__tostring") != LUA_TNIL) { /* pushes the field */
        lua_pop(L, 1);
        lua_pushcfunction(L, beacon_p_tostring);
        lua_pushvalue(L, object);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING)
            lua_pushfstring(L, "(error object is a %s value whose __tostring failed)",
                            luaL_typename(L, object));
    } else {
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, object));
    }
    lua_replace(L, object);                                  /* the string takes its place */
    lua_settop(L, object);
}

/// Keeps `length` bytes of traceback text in the context.
static inline void beacon_keep_traceback(beacon_context *c, const char *traceback, size_t length) {
    free(c->traceback);
    c->traceback = (char *)malloc(length + 1);
    if (c->traceback) {
        memcpy(c->traceback, traceback, length);
        c->traceback[length] = 0;
    }
}

/// Message handler of every beacon pcall: turns any error object into a string (never raising
/// on a bad __tostring) and keeps the traceback in the context.
static inline int beacon_msgh(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_settop(L, 1);
    beacon_error_to_string(L);
    luaL_traceback(L, L, NULL, 1);                           /* pushes the traceback */
    size_t length;
    const char *traceback = lua_tolstring(L, -1, &length);
    beacon_keep_traceback(c, traceback, length);
    lua_settop(L, 1);                                        /* pops the traceback */
    return 1;
}

#endif
