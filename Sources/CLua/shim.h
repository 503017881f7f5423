#ifndef BEACON_CLUA_SHIM_H
#define BEACON_CLUA_SHIM_H
#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>
#endif
