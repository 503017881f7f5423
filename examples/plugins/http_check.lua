-- An HTTP health check with beacon.http.get: up or down, status, latency, every 15 seconds.
-- Sends "http_check", or "http_check.down" when the request fails or the status is not 2xx,
-- so a dashboard can listen for just the bad news. The level is critical when down, warning
-- when slower than SLOW_MS, ok otherwise.
schedule = "15s"
timeout = "5s"

-- Beacon's own health endpoint, so the example works as is; point it at your service.
local URL = "http://127.0.0.1:8080/healthz"
local SLOW_MS = 1000

function check_status()
  local response, err = beacon.http.get(URL, { timeout = 3, headers = { Accept = "application/json" } })
  if not response then
    -- err says what went wrong: "connection refused to 127.0.0.1:8080", "timed out after 3 s", ...
    beacon.status("critical", err)
    return { url = URL, up = false, error = err }, "http_check.down"
  end
  local up = response.status >= 200 and response.status < 300
  local result = {
    url = URL,
    up = up,
    status = response.status,
    ms = response.ms,
    bytes = #response.body,
    content_type = response.headers["content-type"] or "",
  }
  if not up then
    beacon.status("critical", "HTTP " .. response.status)
    return result, "http_check.down"
  end
  if response.ms > SLOW_MS then
    beacon.status("warning", string.format("slow: %.0f ms", response.ms))
  else
    beacon.status("ok", string.format("HTTP %d in %.0f ms", response.status, response.ms))
  end
  return result
end
