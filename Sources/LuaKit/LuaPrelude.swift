/// Lua code run once per state, before any plugin code, to build the sandbox. It receives the
/// full libraries in `kit` (never reachable afterwards) and the configuration from Swift:
/// `functions` (beacon path → callback id), `libdir` (absolute, never shown) and `libname`
/// (its last component, used in chunk names and messages).
enum LuaPrelude {
    static let source = #"""
local kit, config = ...
local G = _G
local error, type, pairs, select, rawget, rawset, tostring = error, type, pairs, select, rawget, rawset, tostring
local load, setmetatable = load, setmetatable
local co_create, co_resume = coroutine.create, coroutine.resume
local find, gsub, gmatch = string.find, string.gsub, string.gmatch

local function unavailable(name, instead)
  local message = name .. " is not available in Beacon plugins"
  if instead then message = message .. "; " .. instead end
  return function() error(message, 2) end
end

-- Base library: no file loading, text-only load, print to the log.
G.dofile = unavailable("dofile", "use require to load modules from the plugins library folder")
G.loadfile = unavailable("loadfile", "use require to load modules from the plugins library folder")
G.load = function(chunk, name, mode, ...)
  if mode ~= nil and mode ~= "t" then
    return nil, "load: only text chunks (mode \"t\") can be loaded in Beacon plugins"
  end
  if select("#", ...) > 0 then
    local f, message = load(chunk, name, "t", (...))
    return f, message
  end
  local f, message = load(chunk, name, "t")
  return f, message
end
G.print = kit.print

-- Finalizers run with debug hooks off, so a spinning __gc could never be stopped. Instead of
-- letting Lua finalize the object itself, setmetatable ties it (ephemeron table) to a private
-- sentinel whose finalizer looks up the object's current __gc and runs it in a fresh
-- coroutine, where the deadline hook works. The user's metatable is left untouched.
local rawgetmetatable = kit.debug.getmetatable
local sentinels = setmetatable({}, { __mode = "k" })
G.setmetatable = function(t, mt)
  if type(t) ~= "table" then
    error("bad argument #1 to 'setmetatable' (table expected, got " .. type(t) .. ")", 2)
  end
  local gc = type(mt) == "table" and rawget(mt, "__gc") or nil
  if gc == nil then
    local result = setmetatable(t, mt)
    return result
  end
  local current = rawgetmetatable(t)
  if current ~= nil and rawget(current, "__metatable") ~= nil then
    error("cannot change a protected metatable", 2)
  end
  rawset(mt, "__gc", nil)      -- so that Lua does not mark t for finalization itself
  setmetatable(t, mt)
  rawset(mt, "__gc", gc)
  if sentinels[t] == nil then
    sentinels[t] = setmetatable({}, { __gc = function()
      local m = rawgetmetatable(t)
      local finalizer = m and rawget(m, "__gc")
      if finalizer == nil then return end
      local ok, message = co_resume(co_create(function() return finalizer(t) end))
      if not ok then error(message, 0) end
    end })
  end
  return t
end

-- os: clock and environment only.
local os = kit.os
G.os = {
  time = os.time, clock = os.clock, date = os.date, difftime = os.difftime, getenv = os.getenv,
  exit = unavailable("os.exit", "return from check_status() or raise an error with error(...)"),
  execute = unavailable("os.execute", "use beacon.exec{...}"),
  remove = unavailable("os.remove", "plugins cannot change files"),
  rename = unavailable("os.rename", "plugins cannot change files"),
  tmpname = unavailable("os.tmpname", "plugins cannot create files"),
  setlocale = unavailable("os.setlocale", "the locale belongs to the whole server"),
}

-- io: reading named files only.
local io = kit.io
local open, lines = io.open, io.lines
G.io = {
  open = function(path, mode)
    if mode ~= nil and mode ~= "r" and mode ~= "rb" then
      error("io.open: mode '" .. tostring(mode) .. "' is not available in Beacon plugins; files can only be opened for reading (\"r\" or \"rb\")", 2)
    end
    local file, message, code = open(path, mode or "r")
    return file, message, code
  end,
  lines = function(path, ...)
    if path == nil then
      error("io.lines needs a file name in Beacon plugins (standard input is not available)", 2)
    end
    local a, b, c, d = lines(path, ...)
    return a, b, c, d
  end,
  type = io.type,
  read = unavailable("io.read", "open a file with io.open(path) and read from it"),
  write = unavailable("io.write", "use print(...) or beacon.log(level, message)"),
  popen = unavailable("io.popen", "use beacon.exec{...}"),
  input = unavailable("io.input", "use io.open(path)"),
  output = unavailable("io.output", "use print(...) or beacon.log(level, message)"),
  close = unavailable("io.close", "call file:close() on a file from io.open"),
  tmpfile = unavailable("io.tmpfile", "plugins cannot create files"),
}

-- debug: traceback only.
local debug = { traceback = kit.debug.traceback }
for name in pairs(kit.debug) do
  if name ~= "traceback" then debug[name] = unavailable("debug." .. name) end
end
G.debug = debug

-- require: Lua text modules from the library folder, cached per state.
local loaded = {
  _G = G, string = G.string, table = G.table, math = G.math, utf8 = G.utf8,
  coroutine = G.coroutine, os = G.os, io = G.io, debug = debug,
}
local loading = {}
local libdir, libname = config.libdir, config.libname
G.require = function(name)
  if type(name) ~= "string" then
    error("bad argument #1 to 'require' (string expected, got " .. type(name) .. ")", 2)
  end
  local cached = loaded[name]
  if cached ~= nil then return cached end
  if not libdir then
    error("module '" .. name .. "' not found: require is not available (no plugins library folder is configured)", 2)
  end
  for part in gmatch(name .. ".", "([^.]*)%.") do
    if not find(part, "^[%w_%-]+$") then
      error("require: invalid module name '" .. name .. "'; use dotted names of files in the library folder, like 'util.http' for " .. libname .. "/util/http.lua", 2)
    end
  end
  if loading[name] then error("require: module '" .. name .. "' requires itself (circular require)", 2) end
  local relative = gsub(name, "%.", "/") .. ".lua"
  local shown = libname .. "/" .. relative
  local file = open(libdir .. "/" .. relative, "rb")
  if not file then error("module '" .. name .. "' not found: no file " .. shown, 2) end
  local source = file:read("a")
  file:close()
  if not source then error("module '" .. name .. "' could not be read from " .. shown, 2) end
  local chunk, message = load(source, "@" .. shown, "t")
  if not chunk then error("error loading module '" .. name .. "': " .. message, 2) end
  loading[name] = true
  local done <close> = setmetatable({}, { __close = function() loading[name] = nil end })
  local result = chunk(name, shown)
  if result == nil then result = rawget(loaded, name) or true end
  loaded[name] = result
  return result
end
G.package = {
  loaded = loaded,
  path = libname and (libname .. "/?.lua") or "",
  cpath = "",
  loadlib = unavailable("package.loadlib", "C modules cannot be loaded; write the module in Lua and put it in the plugins library folder"),
  searchpath = unavailable("package.searchpath"),
}

-- Coroutines of the plugin's own. A host call inside one waits without holding a thread: the
-- call yields the coroutine with a private marker, and a resume running in a thread that may
-- wait passes the wait on by yielding in turn; once the answer is there it resumes the
-- coroutine, whose call then returns. The threads Beacon resumes itself cannot be resumed or
-- closed by the plugin.
local yielders, PENDING = kit.yielders, kit.pending
local co_yield, co_status, co_running, co_close = coroutine.yield, coroutine.status, coroutine.running, coroutine.close
local pack, unpack = table.pack, table.unpack
local HOST, OWN = 1, 2
local function resume(co, ...)
  if type(co) ~= "thread" then
    error("bad argument #1 to 'resume' (coroutine expected, got " .. type(co) .. ")", 2)
  end
  if rawget(yielders, co) == HOST then return false, "cannot resume a coroutine that Beacon runs" end
  local passes = rawget(yielders, (co_running())) ~= nil
  local previous = rawget(yielders, co)
  if passes then rawset(yielders, co, OWN) end
  local result = pack(co_resume(co, ...))
  while passes and result[1] and result.n == 2 and result[2] == PENDING and co_status(co) == "suspended" do
    co_yield(PENDING)
    result = pack(co_resume(co))
  end
  if passes then rawset(yielders, co, previous) end
  return unpack(result, 1, result.n)
end
G.coroutine.resume = resume
G.coroutine.wrap = function(f)
  local co = co_create(f)
  return function(...)
    local result = pack(resume(co, ...))
    if result[1] then return unpack(result, 2, result.n) end
    if co_status(co) == "dead" then co_close(co) end
    local message = result[2]
    if type(message) == "string" then error(message, 2) end
    error(message, 0)
  end
end
G.coroutine.close = function(co)
  if type(co) == "thread" and rawget(yielders, co) == HOST then
    error("cannot close a coroutine that Beacon runs", 2)
  end
  return co_close(co)
end

-- The host API.
local beacon = { now = kit.now, log = kit.log, json = {}, spawn = kit.spawn }
for path, id in pairs(config.functions) do
  local parts = {}
  for part in gmatch(path .. ".", "([^.]*)%.") do
    if not find(part, "^[%a_][%w_]*$") then error("invalid host function name 'beacon." .. path .. "'") end
    parts[#parts + 1] = part
  end
  local parent = beacon
  for i = 1, #parts - 1 do
    local child = rawget(parent, parts[i])
    if child == nil then child = {}; rawset(parent, parts[i], child) end
    if type(child) ~= "table" then
      error("host function 'beacon." .. path .. "' conflicts with another host function")
    end
    parent = child
  end
  if type(rawget(parent, parts[#parts])) == "table" then
    error("host function 'beacon." .. path .. "' conflicts with another host function")
  end
  rawset(parent, parts[#parts], path == "wait" and kit.waiter(id) or kit.callback(id))
end
loaded.beacon = beacon
G.beacon = beacon
"""#
}
