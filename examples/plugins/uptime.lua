-- Seconds since boot from /proc/uptime, and how many times this plugin has run
-- (globals live as long as the plugin's Lua state: until the file changes).
schedule = "30s"
runs = 0

function check_status()
  runs = runs + 1
  local f = assert(io.open("/proc/uptime", "r"))
  local seconds = f:read("n")
  f:close()
  local s = math.floor(seconds)
  return {
    seconds = s,
    human = string.format("%dd %02dh %02dm", s // 86400, s % 86400 // 3600, s % 3600 // 60),
    runs = runs,
  }
end
