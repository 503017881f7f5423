-- Name resolution as the system does it, with `getent ahosts` through beacon.exec (getent follows
-- nsswitch.conf: /etc/hosts, DNS, ...), every minute.
-- Sends "dns", or "dns.failed" when a name does not resolve; the level is then critical.
schedule = "1m"
timeout = "10s"

-- The names your services depend on. Three seconds each at most.
local NAMES = { "localhost" }

local function resolve(name)
  local run, err = beacon.exec({ "getent", "ahosts", name }, { timeout = 3 })
  if not run then return { ok = false, error = err } end
  if run.code == 2 then return { ok = false, error = "not found" } end
  if run.code ~= 0 then return { ok = false, error = "getent exited with " .. run.code } end
  local addresses, seen = {}, {}
  for address in run.stdout:gmatch("(%S+)%s+STREAM") do
    if not seen[address] then
      seen[address] = true
      addresses[#addresses + 1] = address
    end
  end
  return { ok = true, addresses = addresses, ms = run.ms }
end

function check_status()
  local names, failed = {}, 0
  for _, name in ipairs(NAMES) do
    names[name] = resolve(name)
    if not names[name].ok then failed = failed + 1 end
  end
  local result = { names = names, failed = failed }
  if failed > 0 then
    beacon.status("critical", failed .. " of " .. #NAMES .. " names do not resolve")
    return result, "dns.failed"
  end
  beacon.status("ok")
  return result
end
