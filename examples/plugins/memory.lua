-- Memory use from /proc/meminfo, every 10 seconds. Sends the event "memory", or
-- "memory.low" when less than 10% is available, so a dashboard can listen for just that.
-- The level is critical below 10% available, warning below 20%.
schedule = "10s"

local function meminfo()
  local values = {}
  for line in io.lines("/proc/meminfo") do
    local key, kib = line:match("^(%w+):%s+(%d+) kB")
    if key then values[key] = math.tointeger(tonumber(kib)) end
  end
  return values
end

function check_status()
  local m = meminfo()
  local total, available = m.MemTotal, m.MemAvailable
  local status = {
    total_mib = total // 1024,
    available_mib = available // 1024,
    used_pct = math.floor((1 - available / total) * 1000 + 0.5) / 10,
  }
  local free = available / total
  local summary = string.format("%.0f%% available", free * 100)
  if free < 0.10 then
    beacon.status("critical", summary)
    return status, "memory.low"
  end
  beacon.status(free < 0.20 and "warning" or "ok", summary)
  return status
end
