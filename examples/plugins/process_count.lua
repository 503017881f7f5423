-- How many processes run, and how many of a few programs, from `ps` through beacon.exec,
-- every 30 seconds.
schedule = "30s"

-- Program names as ps shows them (at most 15 characters).
local WATCH = { "sshd", "nginx", "beacon" }

function check_status()
  local run, err = beacon.exec({ "ps", "-e", "-o", "comm=" }, { timeout = 5 })
  -- A check that cannot measure raises: the stream gets a "check-error" event with the message.
  if not run then error(err) end
  if run.code ~= 0 then error("ps exited with " .. run.code .. ": " .. run.stderr) end

  local counts = {}
  for _, name in ipairs(WATCH) do counts[name] = 0 end
  local total = 0
  for name in run.stdout:gmatch("[^\n]+") do
    total = total + 1
    if counts[name] then counts[name] = counts[name] + 1 end
  end
  return { total = total - 1, watched = counts }  -- minus ps itself
end
