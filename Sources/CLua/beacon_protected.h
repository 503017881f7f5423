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
    lua_pushcfunction(L, beacon_lua_make_waiter);
    lua_setfield(L, -2, "waiter");
    lua_pushcfunction(L, beacon_lua_spawn);
    lua_setfield(L, -2, "spawn");
    lua_pushlightuserdata(L, c);                              /* the pending marker */
    lua_setfield(L, -2, "pending");
    lua_createtable(L, 0, 4);                                 /* pushes the yielders table */
    lua_createtable(L, 0, 1);                                 /* pushes its metatable */
    lua_pushliteral(L, "k");
    lua_setfield(L, -2, "__mode");
    lua_setmetatable(L, -2);                                  /* pops the metatable */
    lua_pushvalue(L, -1);
    c->yielders_ref = luaL_ref(L, LUA_REGISTRYINDEX);         /* pops the copy */
    lua_setfield(L, -2, "yielders");                          /* pops the table */
    if (luaL_newmetatable(L, "beacon.handle")) {              /* pushes the handles' metatable */
        lua_pushcfunction(L, beacon_lua_handle_tostring);
        lua_setfield(L, -2, "__tostring");
        lua_pushliteral(L, "beacon handle");
        lua_setfield(L, -2, "__name");
        lua_pushliteral(L, "a beacon handle");
        lua_setfield(L, -2, "__metatable");
    }
    lua_pop(L, 1);                                            /* pops it */
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

/// Makes a thread Swift resumes (marked in the yielders table) and anchors it in the registry;
/// returns it, its reference in `pushed`.
static inline int beacon_p_new_thread(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_newthread(L);                                         /* pushes the thread */
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->yielders_ref);       /* pushes the yielders table */
    lua_pushvalue(L, -2);
    lua_pushinteger(L, BEACON_YIELDER_HOST);
    lua_rawset(L, -3);                                        /* pops both */
    lua_pop(L, 1);                                            /* pops the table */
    lua_pushvalue(L, -1);
    c->pushed = luaL_ref(L, LUA_REGISTRYINDEX);               /* pops the copy */
    return 1;
}

/// A new thread for runs, anchored at `*ref` in the registry; NULL when memory ran out.
static inline lua_State *beacon_new_thread(lua_State *L, int *ref) {
    int base = lua_gettop(L);
    lua_State *thread = NULL;
    if (beacon_protect(L, beacon_p_new_thread, 1) == LUA_OK) {
        thread = lua_tothread(L, -1);
        *ref = beacon_context_of(L)->pushed;
    }
    lua_settop(L, base);
    return thread;
}

/// Drops the registry's hold on the thread at reference `pushed` (from beacon_new_thread or
/// beacon.spawn) and its mark as a thread Swift resumes.
static inline int beacon_p_release_thread(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->yielders_ref);       /* pushes the yielders table */
    lua_rawgeti(L, LUA_REGISTRYINDEX, c->pushed);             /* pushes the thread */
    if (lua_type(L, -1) == LUA_TTHREAD) {
        lua_pushnil(L);
        lua_rawset(L, -3);                                    /* yielders[thread] = nil */
    }
    luaL_unref(L, LUA_REGISTRYINDEX, c->pushed);
    return 0;
}

/// Releases the thread anchored at `ref` (see beacon_p_release_thread).
static inline int beacon_release_thread(lua_State *L, int ref) {
    beacon_context *c = beacon_context_of(L);
    int base = lua_gettop(L);
    c->pushed = ref;
    int status = beacon_protect(L, beacon_p_release_thread, 0);
    lua_settop(L, base);
    return status;
}

/// Pushes global function `argument` onto thread `subject` (whose stack is empty), ready for
/// lua_resume; raises when it is not a function.
static inline int beacon_p_prepare_call(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_State *thread = (lua_State *)c->subject;
    lua_rawgeti(L, LUA_REGISTRYINDEX, LUA_RIDX_GLOBALS);     /* pushes _G */
    const char *name = lua_pushlstring(L, c->argument, c->argument_length); /* pushes the name */
    lua_pushvalue(L, -1);
    lua_rawget(L, -3);                                        /* replaces the copy by the value */
    if (lua_type(L, -1) != LUA_TFUNCTION)
        return luaL_error(L, "global '%s' is not a function (it is %s)", name, luaL_typename(L, -1));
    if (!lua_checkstack(thread, 4)) return luaL_error(L, "not enough memory");
    lua_xmove(L, thread, 1);                                  /* moves the function */
    return 0;
}

/// Makes `thread` ready to run global function `name`. Returns a Lua status; on failure the
/// message is on L's top (above the message handler).
static inline int beacon_prepare_call(lua_State *L, lua_State *thread, const char *name, size_t length) {
    beacon_context *c = beacon_context_of(L);
    c->argument = name;
    c->argument_length = length;
    c->subject = thread;
    return beacon_protect(L, beacon_p_prepare_call, 0);
}

/// Turns the error object on top of thread `subject` (stopped by an error) into a message on
/// L's top and keeps the thread's traceback in the context.
static inline int beacon_p_thread_error(lua_State *L) {
    beacon_context *c = beacon_context_of(L);
    lua_State *thread = (lua_State *)c->subject;
    luaL_traceback(L, thread, NULL, 0);                       /* pushes the traceback */
    size_t length;
    const char *traceback = lua_tolstring(L, -1, &length);
    beacon_keep_traceback(c, traceback, length);
    lua_pop(L, 1);
    if (lua_gettop(thread) > 0) {
        lua_pushvalue(thread, -1);                            /* copies the error object */
        lua_xmove(thread, L, 1);                              /* moves the copy to L */
    } else {
        lua_pushnil(L);
    }
    beacon_error_to_string(L);
    return 1;
}

/// The message of the error that stopped `thread`, left on L's top (above the message
/// handler) with LUA_OK; another status when even that failed (memory).
static inline int beacon_thread_error(lua_State *L, lua_State *thread) {
    beacon_context *c = beacon_context_of(L);
    c->subject = thread;
    return beacon_protect(L, beacon_p_thread_error, 1);
}

#endif
