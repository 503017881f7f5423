-- Checks a list of HTTP endpoints side by side: each request runs in a function given to
-- beacon.spawn, so the check takes about as long as the slowest endpoint, not the sum of all.
-- Sends "http_list", or "http_list.down" when any endpoint is down. The level is critical when
-- any endpoint is down, warning when any is slower than SLOW_MS, ok otherwise.
schedule = "30s"
timeout = "10s"

-- Beacon's own endpoints, so the example works as is; list your services instead.
local URLS = {
  "http://127.0.0.1:8080/healthz",
  "http://127.0.0.1:8080/plugins",
  "http://127.0.0.1:8080/metrics",
}
local SLOW_MS = 1000

local function probe(url)
  local response, err = beacon.http.get(url, { timeout = 5 })
  if not response then
    return { url = url, up = false, error = err }
  end
  local up = response.status >= 200 and response.status < 300
  return { url = url, up = up, status = response.status, ms = response.ms }
end

function check_status()
  local handles = {}
  for i, url in ipairs(URLS) do
    handles[i] = beacon.spawn(probe, url)   -- starts the request and returns at once
  end
  local endpoints, down, slow = {}, 0, 0
  for i, handle in ipairs(handles) do
    local result = beacon.wait(handle)      -- what probe returned for that URL
    if not result.up then down = down + 1 elseif result.ms > SLOW_MS then slow = slow + 1 end
    endpoints[i] = result
  end
  local summary = { endpoints = endpoints, down = down, total = #URLS }
  if down > 0 then
    beacon.status("critical", string.format("%d of %d down", down, #URLS))
    return summary, "http_list.down"
  end
  if slow > 0 then
    beacon.status("warning", string.format("%d of %d slower than %d ms", slow, #URLS, SLOW_MS))
  else
    beacon.status("ok", string.format("%d up", #URLS))
  end
  return summary
end
