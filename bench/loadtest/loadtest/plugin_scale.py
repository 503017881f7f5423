"""plugin-scale: the plugin side at scale: N trivial plugins, the start, the steady CPU and reloads.

Writes N plugins (a counter and a 5-field table stamped with `beacon.now()`, one file each) into a
temporary folder, starts `beacon serve` on them with the allocator settings it is deployed with
(--untuned: without them) and measures:

1. start: launch to the `plugins loaded` and `listening on` log lines, to `/plugins` listing all N,
   and (for information) until every plugin has run once;
2. steady state, after --warmup seconds (until the histories are full and the heap stops
   growing): the server's CPU over --windows windows of --seconds (the median, with the range),
   as % of one core and µs per run, ticks skipped, threads and context switches per run;
3. reload, --reloads times: one file changed and SIGHUP sent; the time between the reload's log
   lines and from the signal to `reload done`, while a subscriber follows five unchanged plugins
   and the gaps between their runs show whether they kept their cadence.

With --beside OTHER_BINARY both binaries run at once, each on its own copy of the plugins, and it
prints both processes' CPU over the same windows (no reloads): on a machine whose figures drift
between windows, that compares two builds to within about 3%. --beside-untuned runs the second
without the allocator settings; --beside-store sqlite keeps the second's events in a SQLite file
(what the store costs, beside a server without one). Exit status: 0 when all was measured, 1 when beacon failed.
"""

import asyncio
import json
import os
import re
import statistics
import threading
import time

from . import procfs
from .options import bounded
from .repo import beacon_environment, binary
from .server import BeaconServer
from .sse import Subscription

FOLLOWED = 5  # unchanged plugins whose streams are watched across the reloads
PLUGIN = """schedule = "{schedule}"
runs = 0
function check_status()
  runs = runs + 1
  return {{ ok = true, runs = runs, load = 0.42, name = "{name}", at = beacon.now() }}
end
"""

BEACON_OPTIONS = True  # options after -- go to beacon serve


def add_arguments(parser):
    bounded(parser, "--plugins", 1, 20000, type=int, default=1000, help="how many plugins")
    parser.add_argument("--schedule", default="100ms", help="every plugin's schedule: 100ms, 1.5s, 2m")
    bounded(parser, "--seconds", 1, 600, type=float, default=10.0, help="length of a CPU window")
    bounded(parser, "--windows", 1, 20, type=int, default=3, help="CPU windows, back to back")
    bounded(parser, "--warmup", 0, 600, type=float, default=30.0,
            help="seconds between the start and the first window, until the histories are full")
    bounded(parser, "--reloads", 0, 20, type=int, default=3, help="SIGHUPs, each after changing one plugin")
    parser.add_argument("--beside", metavar="BINARY",
                        help="run another beacon binary at the same time on its own copy of the plugins")
    parser.add_argument("--beside-untuned", action="store_true",
                        help="with --beside: run the other binary without the allocator settings")
    parser.add_argument("--beside-store", choices=["memory", "sqlite"], default="memory",
                        help="with --beside: the other binary's --store (sqlite: a SQLite file in the temporary folder)")
    parser.add_argument("--untuned", action="store_true",
                        help="run beacon without the allocator settings it is deployed with (GLIBC_TUNABLES)")


def check(args):
    found = re.fullmatch(r"\s*([0-9]*\.?[0-9]+)\s*(ms|s|m)?\s*", args.schedule)
    if not found:
        return f"--schedule {args.schedule!r}: use a number with ms, s or m"
    args.interval = float(found.group(1)) * {"ms": 0.001, "s": 1.0, "m": 60.0, None: 1.0}[found.group(2)]
    if args.beside_untuned and not args.beside:
        return "--beside-untuned needs --beside BINARY (the same binary is fine)"
    if args.beside_store != "memory" and not args.beside:
        return "--beside-store needs --beside BINARY (the same binary is fine)"
    return None


class Follower:
    """One subscriber of some plugins' streams, in a thread of its own: (arrival, event, at) per event."""

    def __init__(self, port, names):
        self.events = []
        self.stopping = threading.Event()
        self.path = "/events?" + "&".join(f"plugin={name}" for name in names)
        self.thread = threading.Thread(target=asyncio.run, args=(self._follow(port),), daemon=True)
        self.thread.start()

    async def _follow(self, port):
        subscription = await Subscription.open(port, self.path)
        try:
            while not self.stopping.is_set():
                try:
                    events = await asyncio.wait_for(subscription.events(), 0.5)
                except asyncio.TimeoutError:
                    continue
                if not events:
                    return
                arrival = time.monotonic()
                for event in events:
                    try:
                        self.events.append((arrival, event.name, json.loads(event.data).get("at")))
                    except (ValueError, AttributeError):
                        pass
        finally:
            subscription.close()

    def stop(self):
        self.stopping.set()
        self.thread.join(3)


def measure_start(server, plugins):
    loaded_at, loaded = server.wait_for(r"^plugins loaded", timeout=300)
    deadline = time.monotonic() + 60
    serving_at = all_ran_at = None
    while time.monotonic() < deadline and all_ran_at is None:
        running = [p for p in server.get_json("/plugins") if p.get("state") != "failed"]
        if serving_at is None and len(running) >= plugins:
            serving_at = time.monotonic()
        if serving_at is not None and all(p.get("runs", 0) > 0 for p in running):
            all_ran_at = time.monotonic()
        time.sleep(0.02)
    listening_at, _ = server.wait_for(r"^listening on ")
    metadata = loaded.get("metadata", {})
    return {
        "loaded": loaded_at - server.launched,
        "listening": listening_at - server.launched,
        "serving": None if serving_at is None else serving_at - server.launched,
        "all_ran": None if all_ran_at is None else all_ran_at - server.launched,
        "added": len(metadata.get("added", [])),
        "failed": len(metadata.get("failed", [])),
    }


def totals(server):
    plugins = server.get_json("/plugins")
    return [sum(p.get(key, 0) for p in plugins) for key in ("runs", "skipped_ticks", "failures")]


def measure_window(server, seconds):
    pid = server.pid
    before, threads0, switches0 = totals(server), procfs.thread_cpu(pid), procfs.context_switches(pid)
    cpu0, began = procfs.cpu_seconds(pid), time.monotonic()
    time.sleep(seconds)
    cpu1, ended = procfs.cpu_seconds(pid), time.monotonic()
    switches1, threads1, after = procfs.context_switches(pid), procfs.thread_cpu(pid), totals(server)
    busiest = {}
    for tid, (name, used) in threads1.items():
        busiest[name] = busiest.get(name, 0.0) + used - threads0.get(tid, (name, 0.0))[1]
    return {
        "cpu": cpu1 - cpu0, "elapsed": ended - began, "runs": after[0] - before[0],
        "skipped": after[1] - before[1], "failures": after[2] - before[2],
        "threads": sorted(busiest.items(), key=lambda item: -item[1])[:3], "thread_count": len(threads1),
        "voluntary": switches1[0] - switches0[0], "involuntary": switches1[1] - switches0[1],
    }


def log_seconds(line):
    """Seconds of the day from a JSON log line's `time` (UTC, milliseconds), or None."""
    found = re.search(r"T(\d\d):(\d\d):(\d\d(?:\.\d+)?)", line.get("time", ""))
    return None if not found else int(found.group(1)) * 3600 + int(found.group(2)) * 60 + float(found.group(3))


def measure_reloads(server, plugins_dir, args):
    changed, followed = "p0000", [f"p{index:04d}" for index in range(1, min(args.plugins, 1 + FOLLOWED))]
    follower = Follower(server.port, followed or [changed])
    pause = min(2.0, max(0.5, 10 * args.interval))  # a baseline of normal cadence around each reload
    time.sleep(pause)
    reloads = []
    try:
        for number in range(1, args.reloads + 1):
            with open(os.path.join(plugins_dir, f"{changed}.lua"), "a") as plugin:
                plugin.write(f"-- edit {number}\n")
            sent = time.monotonic()
            server.signal()
            _, begun = server.wait_for(r"^SIGHUP: reloading", after=sent, timeout=30)
            done_at, done = server.wait_for(r"^reload done", after=sent, timeout=60)
            start, end = log_seconds(begun), log_seconds(done)
            reloads.append({"logged_ms": None if start is None or end is None else (end - start) * 1000,
                            "signal_to_done_ms": (done_at - sent) * 1000, "window": (sent, done_at),
                            "changed": done.get("metadata", {}).get("changed", [])})
            time.sleep(pause)
    finally:
        follower.stop()
    return reloads, follower.events, followed


def cadence(events, reloads, interval):
    """Gaps between consecutive runs of each followed plugin (from their `at` stamps), split into those
    that span a reload (0.5 s before the signal to 0.5 s after `reload done`) and the rest."""
    windows = [(r["window"][0] - 0.5, r["window"][1] + 0.5) for r in reloads]
    by_stream = {}
    for arrival, event, at in events:
        if isinstance(at, (int, float)):
            by_stream.setdefault(event, []).append((arrival, at))
    near, far = [], []
    for stamps in by_stream.values():
        for (arrival0, at0), (arrival1, at1) in zip(stamps, stamps[1:]):
            spans = any(start <= arrival1 and arrival0 <= end for start, end in windows)
            (near if spans else far).append(at1 - at0)
    return {"near": near, "far": far, "late": [gap for gap in near if gap > 1.5 * interval], "streams": len(by_stream)}


def write_plugins(folder, count, schedule):
    os.mkdir(folder)
    for index in range(count):
        name = f"p{index:04d}"
        with open(os.path.join(folder, f"{name}.lua"), "w") as plugin:
            plugin.write(PLUGIN.format(schedule=schedule, name=name))


def compare_beside(args, binaries, work, environments):
    """Both binaries at once on their own copies of the plugins; prints each window's CPU and the ratio."""
    servers = []
    try:
        for label, path, environment in zip("AB", binaries, environments):
            folder = os.path.join(work, f"plugins-{label}")
            write_plugins(folder, args.plugins, args.schedule)
            extra = list(args.extra)
            if label == "B" and args.beside_store == "sqlite":
                extra += ["--store", f"sqlite:{work}/beacon-B.db"]
            servers.append(BeaconServer(path, folder, os.path.join(work, f"beacon-{label}.log"), extra,
                                        environment=environment))
        for server in servers:
            measure_start(server, args.plugins)
        time.sleep(args.warmup)
        shares = [[], []]
        for _ in range(args.windows):
            before, began = [procfs.cpu_seconds(s.pid) for s in servers], time.monotonic()
            time.sleep(args.seconds)
            after, elapsed = [procfs.cpu_seconds(s.pid) for s in servers], time.monotonic() - began
            for index in range(2):
                shares[index].append((after[index] - before[index]) / elapsed * 100)
    finally:
        for server in servers:
            server.stop()
    print(f"\n{args.plugins} plugins every {args.schedule}, side by side; {args.windows} windows of "
          f"{args.seconds:g} s after {args.warmup:g} s")
    for label, path, environment, values in zip("AB", binaries, environments, shares):
        store = args.beside_store if label == "B" else "memory"
        print(f"{label}: {path} --store {store} (GLIBC_TUNABLES={environment.get('GLIBC_TUNABLES') or '(unset)'}): mean "
              f"{statistics.mean(values):.1f}% of one core; windows " + " ".join(f"{v:.1f}" for v in values))
    print(f"B / A: {statistics.mean(shares[1]) / statistics.mean(shares[0]):.3f} "
          f"(two copies of one build differ by about 3% on a quiet machine)")
    return 0


def ms(seconds):
    return "n/a" if seconds is None else f"{seconds * 1000:.0f} ms"


def report(args, start, windows, reloads, flow, followed, rss, loads, environment):
    offered = args.plugins / args.interval
    sized = args.plugins == 1000 and abs(args.interval - 0.1) < 1e-9  # the size Beacon's targets are stated for

    def verdict(text, met):
        return f"   [target: {text}: {'met' if met else 'MISSED'}]" if sized else ""
    shares = sorted(w["cpu"] / w["elapsed"] * 100 for w in windows)
    cpu = sorted(windows, key=lambda w: w["cpu"] / w["elapsed"])[len(windows) // 2]
    share, runs = cpu["cpu"] / cpu["elapsed"] * 100, max(1, cpu["runs"])
    print(f"\nBeacon, {args.plugins} plugins every {args.schedule} ({offered:,.0f} runs/s offered); {os.cpu_count()} "
          f"cores; load average {loads[0]} (start), {loads[1]} (CPU windows), {loads[2]} (end); "
          f"GLIBC_TUNABLES={environment.get('GLIBC_TUNABLES') or '(unset)'}")
    print(f"start:  plugins loaded {ms(start['loaded'])}, listening {ms(start['listening'])}, /plugins lists all "
          f"{ms(start['serving'])} after launch ({start['added']} added, {start['failed']} failed); every plugin "
          f"ran once by {ms(start['all_ran'])}" + verdict("<= 1000 ms to serving", (start["serving"] or 1e9) <= 1.0))
    spread = f" (windows {shares[0]:.1f}-{shares[-1]:.1f}%)" if len(shares) > 1 else ""
    print(f"steady: {share:.1f}% of one core{spread}, median of {len(shares)} windows of {cpu['elapsed']:.1f} s after "
          f"{args.warmup:g} s of warm-up; {cpu['runs'] / cpu['elapsed']:,.0f} runs/s, {cpu['cpu'] / runs * 1e6:.1f} µs "
          f"of server CPU per run; {sum(w['skipped'] for w in windows)} ticks skipped, "
          f"{sum(w['failures'] for w in windows)} failures in all; RSS {rss:.0f} MiB" + verdict("<= 15% of one core",
                                                                                              share <= 15))
    print(f"        {cpu['thread_count']} threads; {cpu['voluntary'] / runs:.2f} voluntary and "
          f"{cpu['involuntary'] / runs:.2f} involuntary context switches per run; busiest threads: "
          + ", ".join(f"{name} {seconds / cpu['elapsed'] * 100:.1f}%" for name, seconds in cpu["threads"]))
    for number, reload in enumerate(reloads, 1):
        logged = "n/a" if reload["logged_ms"] is None else f"{reload['logged_ms']:.0f} ms"
        print(f"reload {number}: {logged} between its log lines, {reload['signal_to_done_ms']:.0f} ms from SIGHUP "
              f"to 'reload done'; changed {reload['changed']}")
    if reloads:
        def gaps(values):
            return (f"median {statistics.median(values) * 1000:.0f} ms, max {max(values) * 1000:.0f} ms"
                    if values else "none")
        print(f"cadence of {flow['streams']} unchanged streams ({', '.join(followed)}): gaps across reloads "
              f"{gaps(flow['near'])}; elsewhere {gaps(flow['far'])}; {len(flow['late'])} over 1.5x the schedule "
              f"across reloads" + verdict("reload <= 50 ms without a hiccup in other streams",
                                          max(r["signal_to_done_ms"] for r in reloads) <= 50 and not flow["late"]))
    if not sized:
        print("(Beacon's targets are stated for --plugins 1000 --schedule 100ms; no verdicts at other sizes)")


def run(args):
    beacon = binary("beacon", args)
    environment = beacon_environment(args.untuned)
    if args.beside:
        beside_environment = beacon_environment(args.beside_untuned)
        return compare_beside(args, [beacon, args.beside], args.work, [environment, beside_environment])
    plugins_dir = os.path.join(args.work, "plugins")
    write_plugins(plugins_dir, args.plugins, args.schedule)
    loads = [procfs.load_average()]
    server = BeaconServer(beacon, plugins_dir, os.path.join(args.work, "beacon.log"), args.extra,
                          environment=environment)
    try:
        start = measure_start(server, args.plugins)
        time.sleep(args.warmup)
        loads.append(procfs.load_average())
        windows = [measure_window(server, args.seconds) for _ in range(args.windows)]
        reloads, events, followed = measure_reloads(server, plugins_dir, args)
        loads.append(procfs.load_average())
        rss = procfs.sample(server.pid).rss_mib
    finally:
        server.stop()
    report(args, start, windows, reloads, cadence(events, reloads, args.interval), followed, rss, loads, environment)
    return 0
