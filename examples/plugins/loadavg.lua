-- Load average from /proc/loadavg, every 5 seconds.
schedule = "5s"

function check_status()
  local f = assert(io.open("/proc/loadavg", "r"))
  local line = f:read("l")
  f:close()
  local l1, l5, l15, running, total = line:match("^(%S+) (%S+) (%S+) (%d+)/(%d+)")
  return {
    load1 = tonumber(l1),
    load5 = tonumber(l5),
    load15 = tonumber(l15),
    running = math.tointeger(tonumber(running)),
    processes = math.tointeger(tonumber(total)),
  }
end
