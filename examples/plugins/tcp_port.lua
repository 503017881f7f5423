-- Is anything listening? beacon.tcp.connect to a few ports, every 30 seconds.
-- Sends "tcp_port", or "tcp_port.down" when at least one port does not accept connections;
-- the level is then critical, naming the ports down.
schedule = "30s"
timeout = "5s"

-- One second each at most, so the whole check stays within its 5 s timeout.
local TARGETS = {
  { name = "beacon", host = "127.0.0.1", port = 8080 },
  { name = "ssh", host = "127.0.0.1", port = 22 },
}

function check_status()
  local ports, down, names = {}, 0, {}
  for _, target in ipairs(TARGETS) do
    local ok, info = beacon.tcp.connect(target.host, target.port, 1)
    if ok then
      ports[target.name] = { up = true, ms = info }
    else
      -- info: "connection refused to 127.0.0.1:22", "cannot resolve host ...", "timed out after 1 s"
      ports[target.name] = { up = false, error = info }
      down = down + 1
      names[#names + 1] = target.name
    end
  end
  local result = { ports = ports, down = down }
  if down > 0 then
    beacon.status("critical", "down: " .. table.concat(names, ", "))
    return result, "tcp_port.down"
  end
  beacon.status("ok", #TARGETS .. " ports up")
  return result
end
