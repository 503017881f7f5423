#!/usr/bin/env sh
# Follow Beacon's streams from a shell. BEACON defaults to the address `scripts/run` serves on.
BEACON=${BEACON:-http://127.0.0.1:8080}

# One plugin's stream: `retry:` first, then the latest result at once, then every new one.
#   curl -N "$BEACON/events/loadavg"
# Several plugins on one connection:
#   curl -N "$BEACON/events?plugin=loadavg&plugin=memory"
# Resume after a disconnect: only the events after that id follow (see the Beacon-Resume header).
#   curl -N -i -H "Last-Event-ID: 1764023410000042" "$BEACON/events/loadavg"
# What the plugins are doing:
#   curl -s "$BEACON/plugins"

exec curl --no-buffer --silent --show-error "$BEACON/events${1:+/$1}"
