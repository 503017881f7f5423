-- Disk use of a few mount points, from `df -P` through beacon.exec, classified with the shared
-- helper in lib/thresholds.lua. Every minute. Sends "disk_usage", "disk_usage.warn" or
-- "disk_usage.crit", and sets the level: critical from 90% used, warning from 80%.
schedule = "1m"

local thresholds = require("thresholds")

local MOUNTS = { "/" }
local LIMITS = { warn = 80, crit = 90 }  -- percent used

function check_status()
  local run, err = beacon.exec({ "df", "-P", table.unpack(MOUNTS) }, { timeout = 5 })
  if not run then error(err) end
  if run.code ~= 0 then error("df exited with " .. run.code .. ": " .. run.stderr) end

  local mounts, worst, fullest = {}, "ok", nil
  for line in run.stdout:gmatch("[^\n]+") do
    -- Filesystem 1024-blocks Used Available Capacity Mounted-on
    local blocks, used, pct, mount = line:match("^%S+%s+(%d+)%s+(%d+)%s+%d+%s+(%d+)%%%s+(.+)$")
    if mount then
      local level = thresholds.level(tonumber(pct), LIMITS)
      mounts[mount] = {
        used_pct = math.tointeger(tonumber(pct)),
        size_gib = math.floor(tonumber(blocks) / 1048576 * 10 + 0.5) / 10,
        used_gib = math.floor(tonumber(used) / 1048576 * 10 + 0.5) / 10,
        level = level,
      }
      worst = thresholds.worst(worst, level)
      if not fullest or mounts[mount].used_pct > mounts[fullest].used_pct then fullest = mount end
    end
  end
  if not fullest then error("df listed none of " .. table.concat(MOUNTS, ", ")) end
  beacon.status(thresholds.status[worst], string.format("%s %d%% used", fullest, mounts[fullest].used_pct))
  return { mounts = mounts, level = worst }, thresholds.event("disk_usage", worst)
end
