-- Shared by plugins through require("thresholds"): compare a measurement with warning and
-- critical limits, and name the event for the level.
local thresholds = {}

-- "ok", "warn" or "crit" for value against limits = { warn = number, crit = number }.
-- Higher is worse, unless limits.below is true (then lower is worse, e.g. free space).
function thresholds.level(value, limits)
  local function past(limit)
    if limit == nil then return false end
    if limits.below then return value <= limit end
    return value >= limit
  end
  if past(limits.crit) then return "crit" end
  if past(limits.warn) then return "warn" end
  return "ok"
end

-- The worse of two levels.
function thresholds.worst(a, b)
  local rank = { ok = 0, warn = 1, crit = 2 }
  if rank[b] > rank[a] then return b end
  return a
end

-- The level beacon.status takes for one of ours: "ok", "warning" or "critical".
thresholds.status = { ok = "ok", warn = "warning", crit = "critical" }

-- The event name for a level: "disk" when ok, "disk.warn" or "disk.crit" otherwise.
function thresholds.event(base, level)
  if level == "ok" then return base end
  return base .. "." .. level
end

return thresholds
