// Entry points Swift calls. Each runs its Lua work inside lua_pcall and returns a Lua status
// (LUA_OK, LUA_ERRRUN, LUA_ERRMEM, LUA_ERRERR, LUA_ERRSYNTAX); on failure the error message
// (a string, or the memory error object) is left on top of the stack.
#ifndef BEACON_PROTECTED_H
#define BEACON_PROTECTED_H

#include "beacon_library.h"

/// Not enough Lua stack for the operation (the stack is left unchanged).
#define BEACON_ERRSTACK (-1)

/// Opens the sandbox: standard libraries, then the prelude (context argument, Lua text) is
/// called with the kit table and the configuration value on the tape.
static inline int beacon_p_open(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    static const luaL_Reg globals[] = {
        { LUA_GNAME, luaopen_base }, { LUA_STRLIBNAME, luaopen_string },
        { LUA_TABLIBNAME, luaopen_table }, { LUA_MATHLIBNAME, luaopen_math },
        { LUA_UTF8LIBNAME, luaopen_utf8 }, { LUA_COLIBNAME, luaopen_coroutine },
        { NULL, NULL },
    };
    for (const luaL_Reg *lib = globals; lib->func; lib++) {
        luaL_requiref(L, lib->name, lib->func, 1);           /* pushes the library */
        lua_pop(L, 1);
    }
    if (luaL_loadbufferx(L, c->argument, c->argument_length, "=beacon prelude", "t") != LUA_OK)
        return lua_error(L);                                  /* pushed the prelude */
    lua_createtable(L, 0, 8);                                 /* pushes the kit */
    luaL_requiref(L, LUA_OSLIBNAME, luaopen_os, 0);
    lua_setfield(L, -2, "os");
    luaL_requiref(L, LUA_IOLIBNAME, luaopen_io, 0);
    lua_setfield(L, -2, "io");
    luaL_requiref(L, LUA_DBLIBNAME, luaopen_debug, 0);
    lua_setfield(L, -2, "debug");
    lua_pushcfunction(L, beacon_lua_print);
    lua_setfield(L, -2, "print");
    lua_pushcfunction(L, beacon_lua_log);
    lua_setfield(L, -2, "log");
    lua_pushcfunction(L, beacon_lua_now);
    lua_setfield(L, -2, "now");
    lua_pushcfunction(L, beacon_lua_make_callback);
    lua_setfield(L, -2, "callback");
    if (beacon_tape_push_all(L) != 1) return beacon_tape_fail(L); /* pushes the config */
    lua_call(L, 2, 0);                                        /* pops prelude, kit, config */
    return 0;
}

/// Reads global `argument` raw (no metamethods) and returns it.
static inline int beacon_p_get_global(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);     /* pushes _G */
    lua_pushlstring(L, c->argument, c->argument_length);      /* pushes the name */
    lua_rawget(L, -2);                                        /* replaces it by the value */
    return 1;
}

/// Calls global function `argument` with no arguments; returns its first two results.
static inline int beacon_p_call_global(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);     /* pushes _G */
    const char *name = lua_pushlstring(L, c->argument, c->argument_length); /* pushes the name */
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);                                        /* replaces the copy by the value */
    if (lua_type(L, -1) != LUA_TFUNCTION)
        return luaL_error(L, "global '%s' is not a function (it is %s)", name, luaL_typename(L, -1));
    lua_call(L, 0, 2);                                        /* pops the function, pushes 2 */
    return 2;
}

/// Runs `f` protected with the message handler. On LUA_OK the `nresults` results are on top,
/// above the handler; the caller restores the stack top it had before.
static inline int beacon_protect(lua_State *L, lua_CFunction f, int nresults) {
    if (!lua_checkstack(L, nresults + 4)) return BEACON_ERRSTACK;
    lua_pushcfunction(L, beacon_msgh);                        /* pushes the handler */
    int handler = lua_gettop(L);
    lua_pushcfunction(L, f);
    return lua_pcall(L, 0, nresults, handler);
}

/// Opens the libraries and runs `prelude` (see beacon_p_open).
static inline int beacon_open(lua_State *L, const char *prelude, size_t length) {
    beacon_context *c = beacon_context_of(L);
    c->argument = prelude;
    c->argument_length = length;
    return beacon_protect(L, beacon_p_open, 0);
}

/// Loads `source` as text only under `chunkname` and runs it.
static inline int beacon_run(lua_State *L, const char *source, size_t length, const char *chunkname) {
    if (!lua_checkstack(L, 4)) return BEACON_ERRSTACK;
    lua_pushcfunction(L, beacon_msgh);                        /* pushes the handler */
    int handler = lua_gettop(L);
    int status = luaL_loadbufferx(L, source, length, chunkname, "t"); /* pushes chunk or error */
    if (status != LUA_OK) return status;
    return lua_pcall(L, 0, 0, handler);
}

/// Pushes global `name` (raw). Returns a status; on failure pushes the error.
static inline int beacon_get_global(lua_State *L, const char *name, size_t length) {
    beacon_context *c = beacon_context_of(L);
    c->argument = name;
    c->argument_length = length;
    if (!lua_checkstack(L, 4)) return BEACON_ERRSTACK;
    lua_pushcfunction(L, beacon_p_get_global);
    return lua_pcall(L, 0, 1, 0);
}

/// Calls global function `name`; on LUA_OK pushes the handler and two results.
static inline int beacon_call_global(lua_State *L, const char *name, size_t length) {
    beacon_context *c = beacon_context_of(L);
    c->argument = name;
    c->argument_length = length;
    return beacon_protect(L, beacon_p_call_global, 2);
}

#endif
