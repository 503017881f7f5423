-- The plugin the benchmarks use: each result carries the time it was made, so a client can
-- measure latency from check_status() to its own read.
schedule = "200ms"

function check_status()
  return { t = beacon.now() }
end
