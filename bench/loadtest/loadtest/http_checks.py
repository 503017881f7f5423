"""http-checks: many HTTP checks, some slow, some never answered: cadence, start lag, threads, CPU.

Starts a local HTTP server (in this process, asyncio) on --hosts ports of 127.0.0.1 (each a host to
Beacon's HTTP client, as a status page checks many services) whose paths answer after 5 ms
(/fast), after --slow seconds (/slow) or never (/never, until the client gives up), and writes
--plugins plugins that each `beacon.http.get` one path every --schedule with a 5 s timeout: of every
100 plugins, --never-percent check /never, --slow-percent /slow, the rest /fast. Then runs
`beacon serve` on them with its default settings and, after --warmup seconds, measures over
--duration seconds:

- ticks skipped, runs and failures by kind (from /plugins; the /never checks fail with `timeout`
  by design, and after three in a row they back off, which skips ticks: those are counted apart),
- how long runs waited to start after they were due (from /metrics' beacon_check_start_lag_seconds:
  the share of runs that started within 10, 25 and 50 ms, and the bucket holding the 99th percentile),
- the process's threads (highest of a sample a second) and its CPU as % of one core.

With --beside OTHER_BINARY the other binary runs at the same time on its own copy of the plugins
against the same server, and both are reported over the same window. Before that, --spawn-runs runs
of `beacon check` on a plugin that spawns 20 requests of 200 ms each (to 20 hosts, so that the
per-host connection limit does not queue them) and reports how long its check took (measured
inside the check with beacon.now()). Exit status: 0 when all was measured, 1
when beacon failed.
"""

import asyncio
import json
import os
import statistics
import subprocess
import threading
import time

from . import procfs
from .options import bounded
from .repo import HOST, RunError, beacon_environment, binary
from .server import BeaconServer, metric_sum

BEACON_OPTIONS = True

PLUGIN = """schedule = "{schedule}"
timeout = "5s"
function check_status()
  local response, err = beacon.http.get("{url}")
  if not response then return {{ up = false, error = err }}, "{name}.down" end
  return {{ up = true, status = response.status, ms = response.ms }}
end
"""

SPAWN_PLUGIN = """schedule = "1h"
timeout = "10s"
function check_status()
  local started = beacon.now()
  local handles = {{}}
  for i, url in ipairs({urls}) do handles[i] = beacon.spawn(beacon.http.get, url) end
  local ok = 0
  for i = 1, 20 do if beacon.wait(handles[i]) then ok = ok + 1 end end
  return {{ ok = ok, ms = (beacon.now() - started) * 1000 }}
end
"""

LAG_BUCKETS = (0.01, 0.025, 0.05)


def add_arguments(parser):
    bounded(parser, "--plugins", 1, 10000, type=int, default=2000, help="how many HTTP plugins")
    parser.add_argument("--schedule", default="10s", help="every plugin's schedule (Beacon's duration forms)")
    bounded(parser, "--hosts", 1, 1000, type=int, default=100, help="ports of the local server (hosts to Beacon)")
    bounded(parser, "--slow-percent", 0, 100, type=int, default=9, help="plugins in 100 whose path answers after --slow")
    bounded(parser, "--never-percent", 0, 100, type=int, default=1, help="plugins in 100 whose path never answers")
    bounded(parser, "--slow", 0.01, 60, type=float, default=2.0, help="seconds /slow takes to answer")
    bounded(parser, "--warmup", 0, 600, type=float, default=20.0, help="seconds before the window")
    bounded(parser, "--duration", 1, 3600, type=float, default=300.0, help="the window, in seconds")
    bounded(parser, "--spawn-runs", 0, 100, type=int, default=10, help="runs of the spawn-20 check first")
    parser.add_argument("--beside", metavar="BINARY", help="run another beacon binary at the same time")
    parser.add_argument("--untuned", action="store_true",
                        help="run beacon without the allocator settings it is deployed with (GLIBC_TUNABLES)")


def check(args):
    if args.slow_percent + args.never_percent > 100:
        return "--slow-percent and --never-percent add up to more than 100"
    return None


def path_for(index, slow_percent, never_percent):
    """The path plugin `index` checks: /never for the first never_percent of every 100, /slow for the next."""
    slot = index % 100
    if slot < never_percent:
        return "/never"
    if slot < never_percent + slow_percent:
        return "/slow"
    return "/fast"


class LocalEndpoints:
    """The HTTP server the plugins check, on its own thread: HTTP/1.1 with keep-alive, GET only."""

    def __init__(self, hosts, slow):
        self.slow = slow
        self.requests = 0
        self.loop = asyncio.new_event_loop()
        self.ports = []
        ready = threading.Event()
        threading.Thread(target=self._serve, args=(hosts, ready), daemon=True).start()
        if not ready.wait(30) or len(self.ports) != hosts:
            raise RunError("the local endpoints did not start")

    def _serve(self, hosts, ready):
        asyncio.set_event_loop(self.loop)
        self.loop.set_exception_handler(lambda loop, context: None)  # clients that vanish are normal here

        async def start():
            for _ in range(hosts):
                server = await asyncio.start_server(self._connection, HOST, 0, backlog=1024)
                self.ports.append(server.sockets[0].getsockname()[1])
            ready.set()

        self.loop.run_until_complete(start())
        self.loop.run_forever()

    async def _connection(self, reader, writer):
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                self.requests += 1
                path = head.split(b" ", 2)[1].decode(errors="replace")
                if path == "/never":
                    await reader.read()  # until the client gives up and closes
                    return
                await asyncio.sleep(self.slow if path == "/slow" else 0.005)
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok")
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError, asyncio.LimitOverrunError, asyncio.CancelledError):
            pass
        finally:
            writer.close()

    def url(self, index, path):
        """The URL of `path` on one of the hosts: block b of 100 plugins is shifted by b, so that the few
        plugins of each kind are spread over the hosts instead of sharing one."""
        return f"http://{HOST}:{self.ports[(index + index // 100) % len(self.ports)]}{path}"

    def stop(self):
        """Ends every connection and the loop; the thread goes with the process."""
        def shutdown():
            for task in asyncio.all_tasks(self.loop):
                task.cancel()
            self.loop.call_soon(self.loop.stop)
        self.loop.call_soon_threadsafe(shutdown)


def write_plugins(folder, endpoints, args):
    os.makedirs(folder, exist_ok=True)
    for index in range(args.plugins):
        name = f"h{index:05d}"
        url = endpoints.url(index, path_for(index, args.slow_percent, args.never_percent))
        with open(os.path.join(folder, name + ".lua"), "w") as plugin:
            plugin.write(PLUGIN.format(schedule=args.schedule, url=url, name=name))


def spawn_check(args, endpoints, beacon):
    """Median and max ms of the spawn-20 check over --spawn-runs runs of `beacon check`."""
    endpoint = LocalEndpoints(20, 0.2)
    try:
        path = os.path.join(args.work, "spawn20.lua")
        urls = "{" + ", ".join(f'"{endpoint.url(i, "/slow")}"' for i in range(20)) + "}"
        with open(path, "w") as plugin:
            plugin.write(SPAWN_PLUGIN.format(urls=urls))
        times = []
        for _ in range(args.spawn_runs):
            done = subprocess.run([beacon, "check", path], capture_output=True, text=True, timeout=60)
            data = next((line[6:] for line in done.stdout.splitlines() if line.startswith("data: ")), None)
            if done.returncode != 0 or data is None:
                raise RunError(f"beacon check spawn20.lua failed: {done.stdout}{done.stderr}")
            result = json.loads(data)
            if result["ok"] != 20:
                raise RunError(f"the spawn-20 check got {result['ok']} answers of 20")
            times.append(result["ms"])
        return statistics.median(times), max(times)
    finally:
        endpoint.stop()


def totals(server, args):
    """Runs, skipped ticks (in all, and of the plugins checking /never, which back off after three
    timeouts in a row), failures by kind and the start-lag histogram."""
    plugins = server.get_json("/plugins")
    runs = sum(p.get("runs", 0) for p in plugins)
    skipped = sum(p.get("skipped_ticks", 0) for p in plugins)
    never = sum(p.get("skipped_ticks", 0) for p in plugins
                if path_for(int(p["name"][1:]), args.slow_percent, args.never_percent) == "/never")
    text = server.get("/metrics").decode()
    failures = {}
    for line in text.splitlines():
        if line.startswith("beacon_check_failures_total{"):
            kind = line.split('kind="', 1)[1].split('"', 1)[0]
            failures[kind] = failures.get(kind, 0) + float(line.split()[-1])
    buckets = {}
    for line in text.splitlines():
        if line.startswith("beacon_check_start_lag_seconds_bucket{"):
            bound = line.split('le="', 1)[1].split('"', 1)[0]
            buckets[float("inf") if bound == "+Inf" else float(bound)] = float(line.split()[-1])
    count = metric_sum(text, "beacon_check_start_lag_seconds_count")
    return {"runs": runs, "skipped": skipped, "never_skipped": never, "failures": failures, "lag": buckets,
            "lag_count": count}


def window_report(name, before, after, cpu, seconds, peak_threads):
    runs = after["runs"] - before["runs"]
    lags = after["lag_count"] - before["lag_count"]
    within = {}
    for bound in sorted(after["lag"]):
        within[bound] = (after["lag"][bound] - before["lag"].get(bound, 0)) / lags if lags else float("nan")
    p99 = next((bound for bound in sorted(within) if within[bound] >= 0.99), float("inf"))
    failures = {kind: after["failures"].get(kind, 0) - before["failures"].get(kind, 0)
                for kind in after["failures"]}
    never = after["never_skipped"] - before["never_skipped"]
    print(f"{name}: runs {runs}, ticks skipped {after['skipped'] - before['skipped']} ({never} of them by the "
          f"plugins checking /never, backing off), failures {json.dumps({k: int(v) for k, v in failures.items() if v})}")
    shares = ", ".join(f"{within.get(b, float('nan')) * 100:.1f}% within {b * 1000:g} ms" for b in LAG_BUCKETS)
    print(f"{name}: start lag: {shares}; p99 at most {p99 * 1000:g} ms (histogram bucket)")
    print(f"{name}: CPU {cpu / seconds * 100:.1f}% of one core; threads at most {peak_threads}")


def run(args):
    endpoints = LocalEndpoints(args.hosts, args.slow)
    servers = []
    try:
        beacon = binary("beacon", args)
        print(f"load average {procfs.load_average()}", flush=True)
        if args.spawn_runs:
            median, worst = spawn_check(args, endpoints, beacon)
            print(f"spawn-20: a check spawning 20 requests of 200 ms took {median:.0f} ms "
                  f"(median of {args.spawn_runs}), at most {worst:.0f} ms", flush=True)
        environment = beacon_environment(args.untuned)
        for name, path in [("beacon", beacon)] + ([("beside", args.beside)] if args.beside else []):
            folder = os.path.join(args.work, f"plugins-{name}")
            write_plugins(folder, endpoints, args)
            servers.append((name, BeaconServer(path, folder, os.path.join(args.work, f"{name}.log"),
                                               args.extra, environment=environment)))
        time.sleep(args.warmup)
        before = {name: totals(server, args) for name, server in servers}
        cpu_before = {name: procfs.cpu_seconds(server.pid) for name, server in servers}
        peak = {name: 0 for name, _ in servers}
        started = time.monotonic()
        while time.monotonic() - started < args.duration:
            for name, server in servers:
                if not server.alive():
                    raise RunError(f"{name} exited; see {server.log_path}")
                peak[name] = max(peak[name], procfs.sample(server.pid).threads)
            time.sleep(1)
        seconds = time.monotonic() - started
        for name, server in servers:
            window_report(name, before[name], totals(server, args), procfs.cpu_seconds(server.pid) - cpu_before[name],
                          seconds, peak[name])
        print(f"local endpoints answered {endpoints.requests} requests; load average {procfs.load_average()}")
        return 0
    finally:
        for _, server in servers:
            server.stop()
        endpoints.stop()
