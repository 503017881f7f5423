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

/// A host function: upvalue 1 is its id. Swift answers through the tape; C pushes the values
/// or raises the message, so the raise happens in a C frame.
static inline int beacon_lua_trampoline(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    int id = (int)lua_tointegerx(L, lua_upvalueindex(1), NULL);
    if (!c->call) return luaL_error(L, "host functions are not available");
    int status = c->call(c->swift, L, id);
    if (status == BEACON_CALL_VALUES) return beacon_tape_push_all(L);
    luaL_where(L, 1);                                        /* pushes "chunk:line: " */
    lua_pushlstring(L, (const char *)c->tape, c->tape_length); /* pushes the message */
    lua_concat(L, 2);                                        /* pops both, pushes one */
    return lua_error(L);
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

/// Message handler of every beacon pcall: turns any error object into a string (never raising
/// on a bad __tostring) and keeps the traceback in the context.
static inline int beacon_msgh(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    int type = lua_type(L, 1);
    lua_settop(L, 1);
    if (type == LUA_TSTRING) {
        /* already a message */
    } else if (type == LUA_TNUMBER || type == LUA_TBOOLEAN) {
        lua_pushcfunction(L, beacon_p_tostring);
        lua_pushvalue(L, 1);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING)
            lua_pushfstring(L, "(error object is a %s value)", lua_typename(L, type));
    } else if (type == LUA_TNIL || type == LUA_TNONE) {
        lua_pushliteral(L, "(error object is a nil value)");
    } else if (luaL_getmetafield(L, 1, "__tostring") != LUA_TNIL) { /* pushes the field */
        lua_pop(L, 1);
        lua_pushcfunction(L, beacon_p_tostring);
        lua_pushvalue(L, 1);
        if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_type(L, -1) != LUA_TSTRING)
            lua_pushfstring(L, "(error object is a %s value whose __tostring failed)",
                            luaL_typename(L, 1));
    } else {
        lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
    }
    int message = lua_gettop(L);
    luaL_traceback(L, L, NULL, 1);                           /* pushes the traceback */
    size_t length;
    const char *traceback = lua_tolstring(L, -1, &length);
    free(c->traceback);
    c->traceback = (char *)malloc(length + 1);
    if (c->traceback) memcpy(c->traceback, traceback, length + 1);
    lua_settop(L, message);                                  /* pops the traceback */
    return 1;
}

#endif
