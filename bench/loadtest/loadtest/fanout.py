"""fanout: Beacon beside nchan and a C floor, the same events to the same subscribers.

For each size and run, each target starts alone on CPU 1 (`taskset -c 1`) with `beacon-bench load`
on CPU 0, which opens the subscribers at --ramp per second from --source-ips, waits until all have
connected, measures --duration seconds and samples the server's CPU and memory from /proc:

- beacon: `beacon serve` with bench/now.lua, its schedule set to 1/RATE (--max-connections 0), with
  the allocator settings it is deployed with (--untuned: without them);
- nchan: nginx with bench/peers/nchan.conf (one worker), fed by `beacon-bench publish` at RATE/s;
- floor: bench/peers/floor.c, one write() per subscriber per event (FLOOR_WORK_NS is passed on).

Installs what is missing from Debian first (nginx-light and libnginx-mod-nchan for nchan, a C
compiler for the floor). Every raw JSON line goes to --results. Per size it prints the median
(min-max) of server CPU seconds per million events delivered and its user-space part, latency
p50/p99, resident memory per subscriber, and the ratios Beacon/floor and Beacon/nchan.
Exit status: 0 when every run measured (whatever the figures), 1 when one did not, 2 on setup errors.
"""

import json
import os
import shutil
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path

from . import procfs
from .beacon_bench import Load, publish_command
from .options import bounded
from .repo import HOST, ROOT, RunError, SetupError, beacon_environment, binary, commit, now_plugin
from .server import BeaconServer, spawn, terminate

TARGETS = ("floor", "nchan", "beacon")  # the table's column order
LABELS = {"floor": "floor", "nchan": "nchan", "beacon": "Beacon"}
NCHAN_MODULE = "/usr/lib/nginx/modules/ngx_nchan_module.so"  # where Debian's libnginx-mod-nchan puts it
PEERS = ROOT / "bench" / "peers"
SERVER_CPU, LOAD_CPU = 1, 0
IDLE_SCHEDULE = 3600  # --idle: one result at the start, then none within any window


def add_arguments(parser):
    parser.add_argument("--connections", default="1000,5000,10000",
                        help="comma-separated subscriber counts (default 1000,5000,10000)")
    bounded(parser, "--rate", 0.01, 100, type=float, default=5.0, help="events per second")
    bounded(parser, "--duration", 1, 600, type=float, default=20.0, help="seconds of each window")
    bounded(parser, "--runs", 1, 20, type=int, default=3, help="runs per target and size")
    parser.add_argument("--targets", default="beacon,nchan,floor", help="beacon,nchan,floor or a subset")
    bounded(parser, "--ramp", 1, 20000, type=float, default=2000.0, help="new connections per second")
    parser.add_argument("--source-ips", default="127.0.0.1-127.0.0.8", help="local addresses of the subscribers")
    parser.add_argument("--no-pin", action="store_true", help="let server and load generator share both cores")
    parser.add_argument("--untuned", action="store_true",
                        help="run beacon without the allocator settings it is deployed with (GLIBC_TUNABLES)")
    parser.add_argument("--idle", action="store_true",
                        help="Beacon only: one event at the start, then none (memory of idle subscribers)")
    parser.add_argument("--beacon-store", default="memory",
                        help="beacon's --store: memory (the default), or sqlite to keep events in a SQLite file in the "
                             "run's temporary folder")
    parser.add_argument("--results", default=str(ROOT / "bench" / "results" / "runs.jsonl"),
                        help="file the raw JSON lines are appended to (default bench/results/runs.jsonl)")


def check(args):
    try:
        args.sizes = [int(n) for n in args.connections.split(",") if n.strip()]
    except ValueError:
        return "--connections takes numbers separated by commas, such as 1000,5000"
    if not args.sizes or any(n < 1 or n > 19000 for n in args.sizes):
        return "--connections: each size from 1 to 19000 (one process holds at most 20,000 descriptors)"
    args.targets = [t.strip() for t in args.targets.split(",") if t.strip()]
    if not args.targets or any(t not in TARGETS for t in args.targets):
        return f"--targets: a comma list of {', '.join(TARGETS)}"
    if args.idle and args.targets != ["beacon"]:
        return "--idle measures Beacon alone: add --targets beacon"
    return None


# -- Setup ----------------------------------------------------------------------------------------

def install_missing(targets):
    """apt-get installs the Debian packages the chosen targets need, when missing."""
    wanted = []
    if "nchan" in targets:
        wanted += ["nginx-light", "libnginx-mod-nchan"]
    if "floor" in targets and not (shutil.which("cc") or shutil.which("gcc")):
        wanted.append("gcc")
    if shutil.which("taskset") is None:
        wanted.append("util-linux")
    missing = [p for p in wanted if subprocess.run(
        ["dpkg-query", "-W", "-f=${Status}", p], capture_output=True, text=True).stdout != "install ok installed"]
    sudo = [] if os.geteuid() == 0 else ["sudo"]
    commands = [sudo + ["apt-get", "update", "-qq"], sudo + ["apt-get", "install", "-y", "-qq", *missing]] \
        if missing else []
    for command in commands + [[str(ROOT / "scripts" / "install-deps")]]:
        print("+ " + " ".join(command), file=sys.stderr, flush=True)
        if subprocess.run(command, env=dict(os.environ, DEBIAN_FRONTEND="noninteractive")).returncode != 0:
            raise SetupError(f"{' '.join(command)} failed")


def build_floor(work):
    compiler = shutil.which("cc") or shutil.which("gcc")
    if compiler is None:
        raise SetupError("no C compiler for bench/peers/floor.c; apt-get install gcc")
    floor = os.path.join(work, "floor")
    if subprocess.run([compiler, "-O2", "-o", floor, str(PEERS / "floor.c")]).returncode != 0:
        raise SetupError("bench/peers/floor.c did not compile")
    return floor


def free_port():
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def wait_for_port(port, process, seconds=30.0):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with socket.create_connection((HOST, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False


# -- One run ----------------------------------------------------------------------------------------

class Target:
    """One server under test: the URL to subscribe to, the processes to sample, and what to stop."""

    def __init__(self, url, pids, processes, beacon=None, workers=()):
        self.url, self.pids, self.processes, self.beacon = url, pids, processes, beacon
        self.workers = workers  # nginx's worker processes, which its master stops with it

    def stop(self):
        if self.beacon:
            self.beacon.stop()
        for process in reversed(self.processes):
            terminate(process, 10)
        for pid in self.workers:  # only if the master died without stopping them
            if procfs.command_name(pid) == "nginx":
                os.kill(pid, 9)


def start_target(name, args, binaries, work, publish_seconds):
    server_cpu = None if args.no_pin else SERVER_CPU
    if name == "beacon":
        plugins = os.path.join(work, "plugins")
        os.makedirs(plugins)
        schedule = IDLE_SCHEDULE if args.idle else f"{1 / args.rate:.6f}"
        Path(plugins, "now.lua").write_text(now_plugin(schedule))
        store = f"sqlite:{work}/beacon.db" if args.beacon_store == "sqlite" else args.beacon_store
        beacon = BeaconServer(binaries["beacon"], plugins, os.path.join(work, "beacon.log"),
                              extra=["--max-connections", "0", "--store", store], cpu=server_cpu,
                              environment=beacon_environment(args.untuned))
        return Target(beacon.url("/events/now"), [beacon.pid], [], beacon)
    port = free_port()
    if name == "floor":
        floor = spawn([binaries["floor"], str(port), f"{args.rate:g}"], os.path.join(work, "floor.log"), server_cpu)
        if not wait_for_port(port, floor):
            terminate(floor)
            raise SetupError(f"the floor did not listen on {HOST}:{port}; see {work}/floor.log")
        return Target(f"http://{HOST}:{port}/events", [floor.pid], [floor])
    if not os.path.exists(NCHAN_MODULE):
        raise SetupError(f"{NCHAN_MODULE} is missing; apt-get install libnginx-mod-nchan")
    prefix = os.path.join(work, "nginx")
    os.makedirs(os.path.join(prefix, "tmp"))
    config = (PEERS / "nchan.conf").read_text().replace("__PORT__", str(port)).replace("__NCHAN_MODULE__", NCHAN_MODULE)
    Path(prefix, "nginx.conf").write_text(config)
    nginx = spawn(["nginx", "-p", prefix, "-c", "nginx.conf", "-e", "stderr"], os.path.join(work, "nginx.log"),
                  server_cpu)
    if not wait_for_port(port, nginx):
        terminate(nginx)
        raise SetupError(f"nginx did not listen on {HOST}:{port}; see {work}/nginx.log")
    publisher = spawn(publish_command(binaries["beacon-bench"], port, args.rate, publish_seconds),
                      os.path.join(work, "publish.log"), None if args.no_pin else LOAD_CPU)
    workers = procfs.child_pids(nginx.pid)
    return Target(f"http://{HOST}:{port}/sub/bench", workers, [nginx, publisher], workers=workers)


def one_run(args, binaries, target_name, size, run_number):
    """Starts the target, loads it with `size` subscribers, stops it; returns beacon-bench's report or None."""
    work = os.path.join(args.work, f"{target_name}-{size}-{run_number}")
    os.mkdir(work)
    target = None
    try:
        target = start_target(target_name, args, binaries, work, size / args.ramp + args.duration + 20)
        load_before = os.getloadavg()[0]
        load = Load(binaries["beacon-bench"], [target.url], size, args.duration, ramp=args.ramp,
                    source_ips=args.source_ips, pids=target.pids, cpu=None if args.no_pin else LOAD_CPU)
        report = load.run()
        if load.status != 0 or report is None:
            print(f"  {target_name}: beacon-bench exited {load.status}: {load.errors}", file=sys.stderr)
            return None
        print(f"  {target_name:6} run {run_number}: {load.summary}", file=sys.stderr)
        record = {"when": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "target": target_name, "size": size,
                  "rate": 0 if args.idle else args.rate, "run": run_number, "pinned": not args.no_pin,
                  "loadavg_before": load_before, "commit": commit(), **report}
        with open(args.results, "a") as results:
            results.write(json.dumps(record) + "\n")
        return report
    except (SetupError, RunError) as error:
        print(f"  {target_name}: {error}", file=sys.stderr)
        return None
    finally:
        if target:
            target.stop()


# -- The table ------------------------------------------------------------------------------------

ROWS = (  # label, key, decimals
    ("server CPU s per 1M events", "cpu", 1),
    ("of which user space", "user", 2),
    ("latency p50 ms", "p50", 1),
    ("latency p99 ms", "p99", 1),
    ("RSS KiB per subscriber", "rss", 1),
    ("events/s delivered", "events", 0),
    ("open at the end", "open", 0),
)


def metric(report, key):
    server = report.get("server") or {}
    latency = report.get("latency_ms") or {}
    return {
        "cpu": server.get("cpu_s_per_1m_events"),
        "user": server.get("user_cpu_s_per_1m_events"),
        "p50": latency.get("p50"),
        "p99": latency.get("p99"),
        "rss": server.get("rss_kib_per_conn"),
        "events": report.get("events_per_s"),
        "open": report.get("open_at_end"),
    }[key]


def median(reports, key):
    values = [v for v in (metric(r, key) for r in reports) if v is not None]
    return (statistics.median(values), min(values), max(values)) if values else (None, None, None)


def cell(reports, key, decimals):
    middle, low, high = median(reports, key)
    if middle is None:
        return "-"
    text = f"{middle:,.{decimals}f}"
    return text + (f" ({low:,.{decimals}f}-{high:,.{decimals}f})" if len(reports) > 1 and low != high else "")


def ratio(results, key, numerator, denominator):
    a, b = median(results.get(numerator, []), key)[0], median(results.get(denominator, []), key)[0]
    return "-" if a is None or not b else f"{a / b:.2f}"


def table(size, args, results, load_averages):
    """The per-size table as Markdown lines."""
    shown = [t for t in TARGETS if t in args.targets]
    offered = 0 if args.idle else size * args.rate
    header = ["", *(LABELS[t] for t in shown)]
    by_floor = "beacon" in shown and "floor" in shown
    by_nchan = "beacon" in shown and "nchan" in shown
    header += ["Beacon / floor"] * by_floor + ["Beacon / nchan"] * by_nchan
    lines = [header]
    for label, key, decimals in ROWS:
        label += {"events": f" (offered {offered:,.0f})", "open": f" (of {size:,})"}.get(key, "")
        row = [label] + [cell(results.get(t, []), key, decimals) for t in shown]
        if by_floor:  # the floor holds no per-subscriber state: no memory ratio to it
            row.append(ratio(results, key, "beacon", "floor") if key in ("cpu", "p50", "p99") else "")
        if by_nchan:
            row.append(ratio(results, key, "beacon", "nchan") if key in ("cpu", "p50", "p99", "rss") else "")
        lines.append(row)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [f"{size:,} subscribers × {args.rate:g} events/s, {args.duration:g} s window, {args.runs} run(s): median"
            f"{' (min-max)' if args.runs > 1 else ''}; load average before the runs "
            f"{min(load_averages):.2f}-{max(load_averages):.2f}"]
    for index, line in enumerate(lines):
        text.append("| " + " | ".join(value.ljust(widths[i]) for i, value in enumerate(line)) + " |")
        if index == 0:
            text.append("|" + "|".join("-" * (w + 2) for w in widths) + "|")
    return text


def run(args):
    if (os.cpu_count() or 1) < 2:
        args.no_pin = True
        print("note: fewer than 2 CPUs, nothing pinned", file=sys.stderr)
    failures = 0
    try:
        install_missing(args.targets)
        binaries = {product: binary(product, args)
                    for product in ("beacon", "beacon-bench")}
        if "floor" in args.targets:
            binaries["floor"] = build_floor(args.work)
        limit = procfs.raise_fd_limit(1 << 30)
        if max(args.sizes) > limit - 100:
            raise SetupError(f"{max(args.sizes)} subscribers need more than the open-files limit {limit} allows")
        os.makedirs(os.path.dirname(os.path.abspath(args.results)), exist_ok=True)
        tunables = beacon_environment(args.untuned).get("GLIBC_TUNABLES") or "(unset)"
        print(f"beacon {commit()} (GLIBC_TUNABLES={tunables}), {os.cpu_count()} CPUs, load average "
              f"{procfs.load_average()}; raw results: {args.results}", file=sys.stderr)
        for size in args.sizes:
            print(f"{size} subscribers:", file=sys.stderr)
            results, load_averages = {}, []
            for run_number in range(1, args.runs + 1):
                for target in args.targets:
                    load_averages.append(os.getloadavg()[0])
                    report = one_run(args, binaries, target, size, run_number)
                    if report is None:
                        failures += 1
                    else:
                        results.setdefault(target, []).append(report)
                    time.sleep(1)  # let the last run's sockets and processes go
            print("\n" + "\n".join(table(size, args, results, load_averages)), flush=True)
    except SetupError as error:
        print(f"fanout: {error}", file=sys.stderr)
        return 2
    return 1 if failures else 0
