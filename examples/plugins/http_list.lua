-- Checks a list of HTTP endpoints side by side: each request runs in a function given to
-- beacon.spawn, so the check takes about as long as the slowest endpoint, not the sum of all.
-- Sends "http_list", or "http_list.down" when any endpoint is down.
schedule = "30s"
timeout = "10s"

-- Beacon's own endpoints, so the example works as is; list your services instead.
local URLS = {
  "http://127.0.0.1:8080/healthz",
  "http://127.0.0.1:8080/plugins",
  "http://127.0.0.1:8080/metrics",
}

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
  local endpoints, down = {}, 0
  for i, handle in ipairs(handles) do
    local result = beacon.wait(handle)      -- what probe returned for that URL
    if not result.up then down = down + 1 end
    endpoints[i] = result
  end
  local summary = { endpoints = endpoints, down = down, total = #URLS }
  if down > 0 then return summary, "http_list.down" end
  return summary
end
