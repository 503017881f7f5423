-- Memory use from /proc/meminfo, every 10 seconds. Sends the event "memory", or
-- "memory.low" when less than 10% is available, so a dashboard can listen for just that.
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
  if available / total < 0.10 then return status, "memory.low" end
  return status
end
