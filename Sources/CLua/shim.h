// The C boundary of Beacon's Lua embedding. Everything that can raise a Lua error (longjmp)
// lives here, so that no Lua error ever unwinds through a Swift frame. Swift only calls the
// `beacon_*` entry points below and Lua API functions that cannot raise.
#ifndef BEACON_CLUA_SHIM_H
#define BEACON_CLUA_SHIM_H

#include <lua.h>
#include <lauxlib.h>
#include <lualib.h>

#include "beacon_context.h"
#include "beacon_tape.h"
#include "beacon_library.h"
#include "beacon_protected.h"

#endif
