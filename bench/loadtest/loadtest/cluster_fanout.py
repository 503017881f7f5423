"""The fan-out part of `bench/run cluster`: --fanout-subscribers on every node of three, every event
counted, and each node's CPU per event beside one node alone with the same subscribers.

Each setup (three nodes on PostgreSQL, then one node with `--store memory` and one node on
PostgreSQL, as --fanout-single says) serves --fanout-plugins plugins. Per node, `beacon-bench load`
opens the subscribers round-robin over the plugins' own streams (`/events/NAME`), and one more
subscriber per plugin (a witness, read here) keeps every event id. The plugins run once an hour
while the subscribers connect; once every node holds them all, their files get the schedule
--fanout-every and every node reloads (SIGHUP). After a 3 s warm-up a gate file exists for
--fanout-seconds: the plugins read it, and while it exists each result carries its time under `t`
(beacon-bench's latency field), otherwise under `u` (same size). beacon-bench counts the `t`
events of its window, which runs --fanout-drain seconds past the gate's end so late events count.

Every event delivered: the events with `t` that each plugin committed (its rows in beacon_events;
with the memory store, what the witness saw) times the subscribers of its stream must equal what
beacon-bench counted on each node, with no id that failed to go up on any connection and every
subscriber open at the end: then each subscriber got each of its plugin's events once. Each witness
must have seen exactly the committed ids. CPU: each node's CPU seconds over beacon-bench's window
per million events delivered (all events, with or without `t`); the cluster's is the nodes' CPU
over their events together, and its ratio to each single node's is printed. PostgreSQL's CPU is
over the gate's time. Nothing is pinned to a CPU.
"""

import asyncio
import json
import os
import signal
import time

from . import cluster
from .beacon_bench import Load, read_report
from .options import bounded
from .procfs import load_average, raise_fd_limit
from .repo import RunError, beacon_environment, binary
from .server import BeaconServer
from .sse import Subscription

SOURCE_IPS = "127.0.0.1-127.0.0.8"  # spreads the subscribers' ephemeral ports, as bench/run fanout does
STAMP = "t"
SINGLES = ("memory", "postgres")
IDLE = "1h"  # the plugins' schedule while the subscribers connect
WARM_UP = 3.0  # seconds of events before the counted ones

PLUGIN = """schedule = "{every}"
local stat = io.open("/proc/self/stat")
pid = tonumber(stat:read("l"):match("^%d+"))
stat:close()
-- While the gate file exists a result's time is under t (the events counted), otherwise under u.
local gate = {gate}
function check_status()
  local open = io.open(gate)
  if open then
    open:close()
    return {{ pid = pid, t = beacon.now() }}
  end
  return {{ pid = pid, u = beacon.now() }}
end
"""


def add_arguments(parser):
    bounded(parser, "--fanout-subscribers", 0, 19000, type=int, default=0,
            help="subscribers per node in the fan-out part; 0 skips it")
    bounded(parser, "--fanout-plugins", 1, 100, type=int, default=6, help="plugins of the fan-out part")
    bounded(parser, "--fanout-every", 0.05, 60, type=float, default=0.2, help="their schedule, in seconds")
    bounded(parser, "--fanout-seconds", 1, 600, type=float, default=20, help="how long the counted events are made")
    bounded(parser, "--fanout-drain", 1, 600, type=float, default=15,
            help="how long subscribers go on reading after that")
    bounded(parser, "--fanout-ramp", 1, 20000, type=float, default=1000, help="new subscribers per second per node")
    parser.add_argument("--fanout-single", default="memory,postgres",
                        help="the one-node runs to compare with: memory, postgres, both (the default) or none")


def check(args):
    args.fanout_single = [] if args.fanout_single.strip() == "none" else \
        [name.strip() for name in args.fanout_single.split(",") if name.strip()]
    if any(name not in SINGLES for name in args.fanout_single):
        return "--fanout-single: memory, postgres, memory,postgres or none"
    return None


# -- What the counts must be ----------------------------------------------------------------------

def per_stream(subscribers, streams):
    """How many subscribers each stream gets when beacon-bench deals them round-robin over the URLs."""
    return {name: subscribers // len(streams) + (index < subscribers % len(streams))
            for index, name in enumerate(streams)}


def expected_events(subscribers, streams, committed):
    """The events with `t` one node's subscribers must get: each stream's committed ones, once each."""
    return sum(count * len(committed.get(name, ())) for name, count in per_stream(subscribers, streams).items())


def gaps(seqs):
    """Missing numbers in a plugin's sorted per-plugin sequence numbers."""
    return sum(later - earlier - 1 for earlier, later in zip(seqs, seqs[1:]))


def node_problems(report, subscribers, expected):
    """What keeps a node's beacon-bench report from proving every event delivered (empty when nothing)."""
    if report is None:
        return ["beacon-bench gave no report"]
    problems = []
    if report["connected"] != subscribers or report["open_at_end"] != subscribers:
        problems.append(f"{report['connected']} connected and {report['open_at_end']} open of {subscribers}")
    if report["closed_by_server"]:
        problems.append(f"{report['closed_by_server']} closed by the server")
    if report["id_regressions"]:
        problems.append(f"{report['id_regressions']} ids that did not go up")
    delivered = report["latency_ms"]["samples"]
    if delivered != expected:
        problems.append(f"{delivered:,} events with {STAMP} counted, {expected:,} committed × subscribers")
    return problems


def milliseconds(value):
    return "-" if value is None else f"{value:,.0f} ms" if value >= 100 else f"{value:.1f} ms"


def cpu_per_million(reports):
    """CPU seconds per million events delivered, over the windows of several nodes together."""
    events = sum(report["events"] for report in reports)
    return 1e6 * sum(report["server"]["cpu_s"] for report in reports) / events if events else float("nan")


# -- One setup ------------------------------------------------------------------------------------

def start_nodes(args, setup, count, store, plugins):
    nodes = []
    for index in range(count):
        folder = os.path.join(args.work, f"fanout-{setup}-node{index}")
        os.makedirs(folder)
        for name, text in plugins.items():
            with open(os.path.join(folder, name), "w") as file:
                file.write(text)
        extra = ["--max-connections", "0", "--store", store]
        if store != "memory":
            extra += ["--node-name", f"node{index}"]
        nodes.append(BeaconServer(binary("beacon", args), folder, folder + ".log", [*extra, *args.extra],
                                  environment=beacon_environment(False)))
    return nodes


def plugin(schedule, gate):
    return PLUGIN.format(every=schedule, gate=json.dumps(gate))


def set_schedule(nodes, streams, schedule, gate):
    """Rewrites every node's plugins with `schedule` and reloads them (SIGHUP); returns once each
    node has logged the reload."""
    for node in nodes:
        for name in streams:
            with open(os.path.join(node.plugins, f"{name}.lua"), "w") as file:
                file.write(plugin(schedule, gate))
    sent = time.monotonic()
    for node in nodes:
        node.signal(signal.SIGHUP)
    for node in nodes:
        node.wait_for(r"^reload done: .*changed: f", after=sent, timeout=30)


async def run_load(load):
    """Runs one `beacon-bench load` to its end (killed if cancelled or late); returns its report,
    with `opened`: the monotonic time its window opened, less the few milliseconds beacon-bench took to start."""
    launched = time.monotonic()
    process = await asyncio.create_subprocess_exec(*load.command, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(process.communicate(), load.timeout)
    except asyncio.TimeoutError as error:
        raise RunError(f"beacon-bench did not finish within {load.timeout:.0f} s") from error
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    load.status, load.errors = process.returncode, err.decode(errors="replace").strip()
    load.report = read_report(out.decode(errors="replace"))
    if load.status != 0 or load.report is None:
        raise RunError(f"beacon-bench exited {load.status}: {load.errors}")
    load.report["opened"] = launched + (load.report["ramp_s"] or 0.0)
    return load.report


async def witness(subscription, stream):
    """The ids of the events with `t` on one stream, in arrival order, until the stream is closed."""
    ids = []
    try:
        while events := await subscription.events():
            for event in events:
                try:
                    stamped = event.name == stream and STAMP in json.loads(event.data)
                except ValueError:
                    continue
                if stamped:
                    ids.append(int(event.id))
    except OSError:
        pass
    return ids


def open_files(pid):
    return len(os.listdir(f"/proc/{pid}/fd"))


def write_calls(pid):
    """The write system calls (write, writev, sendmsg...) a process has made so far."""
    with open(f"/proc/{pid}/io") as io:
        return int(next(line for line in io if line.startswith("syscw:")).split()[1])


async def wait_subscribed(nodes, before, more, timeout, loads):
    """Waits until every node holds `more` open files than `before`: its subscribers' sockets (a
    beacon-bench that ends early is an error)."""
    deadline = time.monotonic() + timeout
    while True:
        added = [open_files(node.pid) - files for node, files in zip(nodes, before)]
        if min(added) >= more:
            return
        for load in loads:
            if load.done():
                load.result()  # raises what went wrong
                raise RunError("beacon-bench ended before every subscriber connected")
        if time.monotonic() > deadline:
            raise RunError(f"new connections per node after {timeout:.0f} s: {added}, not {more}")
        await asyncio.sleep(0.25)


async def window(args, nodes, streams, gate, admin_url):
    """Witnesses, then the loads; the gate open for --fanout-seconds once all are connected."""
    subscribers = args.fanout_subscribers
    # The gate opens some 5.5 s into the window: 2 s, the reload, the warm-up.
    duration = 7 + args.fanout_seconds + args.fanout_drain
    subscriptions, readers, loads = [], [], []
    try:
        for node in nodes:
            subscriptions.append([])
            for name in streams:
                subscriptions[-1].append(await Subscription.open(node.port, f"/events/{name}"))
            readers.append([asyncio.ensure_future(witness(subscription, name))
                            for subscription, name in zip(subscriptions[-1], streams)])
        before = [open_files(node.pid) for node in nodes]
        loads = [asyncio.ensure_future(run_load(Load(
            binary("beacon-bench", args), [node.url(f"/events/{name}") for name in streams], subscribers, duration,
            ramp=args.fanout_ramp, source_ips=SOURCE_IPS, pids=[node.pid]))) for node in nodes]
        await wait_subscribed(nodes, before, subscribers, subscribers / args.fanout_ramp + 30, loads)
        await asyncio.sleep(2)  # beacon-bench opens its window within 20 ms of its last response head
        writes = [write_calls(node.pid) for node in nodes]
        await asyncio.to_thread(set_schedule, nodes, streams, f"{args.fanout_every:g}s", gate)
        await asyncio.sleep(WARM_UP)
        database = await asyncio.to_thread(cluster.database_cpu_seconds, admin_url) if admin_url else {}
        open(gate, "w").close()
        gate_on = time.monotonic()
        await asyncio.sleep(args.fanout_seconds)
        os.remove(gate)
        gate_off = time.monotonic()
        database_used = sum(seconds - database.get(pid, 0.0) for pid, seconds in
                            (await asyncio.to_thread(cluster.database_cpu_seconds, admin_url)).items()) \
            if admin_url else None
        reports = await asyncio.gather(*loads)
        for report, node, before_writes in zip(reports, nodes, writes):
            report["writes"] = write_calls(node.pid) - before_writes
    finally:
        for load in loads:
            load.cancel()
        await asyncio.gather(*loads, return_exceptions=True)
        for row in subscriptions:
            for subscription in row:
                subscription.close()
        seen = [await asyncio.gather(*row, return_exceptions=True) for row in readers]
    return reports, seen, (gate_on, gate_off), database_used


def committed_stamps(store_url):
    """{plugin: (ids, seqs)} of the committed events with `t`, from beacon_events."""
    rows = cluster.psql(store_url, "SELECT stream, string_agg(id::text, ',' ORDER BY id), "
                                   "string_agg(seq::text, ',' ORDER BY seq) FROM beacon_events "
                                   f"WHERE convert_from(data, 'UTF8')::jsonb ? '{STAMP}' GROUP BY stream")
    committed = {}
    for line in rows.splitlines():
        stream, ids, seqs = line.split("|")
        committed[stream] = ([int(n) for n in ids.split(",")], [int(n) for n in seqs.split(",")])
    return committed


def leads(nodes):
    view = cluster.cluster_view(nodes[0])
    return {member["name"]: sorted(member["leads"]) for member in view["nodes"]}


def measure(args, setup, admin_url):
    """One setup: 'cluster' (three nodes on PostgreSQL), 'memory' or 'postgres' (one node). Prints
    what it saw; returns (every event delivered, CPU seconds per 1M events of the nodes together)."""
    count = 3 if setup == "cluster" else 1
    on_postgres = setup != "memory"
    store = cluster.new_database(admin_url, f"beacon_bench_{os.getpid()}_{setup}") if on_postgres else "memory"
    streams = [f"f{index}" for index in range(args.fanout_plugins)]
    gate_file = os.path.join(args.work, f"fanout-{setup}.gate")
    load_before = load_average()
    nodes = start_nodes(args, setup, count, store, {f"{name}.lua": plugin(IDLE, gate_file) for name in streams})
    try:
        if on_postgres:
            cluster.wait_spread(nodes, len(streams))
        reports, seen, gate, database_used = asyncio.run(
            window(args, nodes, streams, gate_file, admin_url if on_postgres else None))
        led = leads(nodes) if on_postgres else None
    finally:
        for node in nodes:
            node.stop()
        if os.path.exists(gate_file):
            os.remove(gate_file)
    if on_postgres:
        committed = committed_stamps(store)
    else:  # no table: what the one witness of each stream saw is what was published
        committed = {name: (ids, []) for name, ids in zip(streams, seen[0]) if isinstance(ids, list)}
    title = {"cluster": "3 nodes on PostgreSQL", "memory": "1 node, --store memory",
             "postgres": "1 node on PostgreSQL"}[setup]
    return summarize(args, title, streams, committed, reports, seen, led, gate, database_used, load_before)


def summarize(args, title, streams, committed, reports, seen, led, gate, database_used, load_before):
    subscribers = args.fanout_subscribers
    gate_on, gate_off = gate
    spread = per_stream(subscribers, streams)
    print(f"fan-out, {title}: {subscribers:,} subscribers per node on {len(streams)} plugins' streams "
          f"({min(spread.values()):,}-{max(spread.values()):,} each) every {args.fanout_every:g} s; counted for "
          f"{gate_off - gate_on:.1f} s; load {load_before} before, {load_average()} after")
    problems = []
    made = {name: len(committed.get(name, ([], []))[0]) for name in streams}
    if min(made.values()) == 0:
        problems.append(f"a plugin committed no event with {STAMP}: {made}")
    for name, (_, seqs) in committed.items():
        if gaps(seqs):
            problems.append(f"{name}: {gaps(seqs)} seq numbers missing among its committed events")
    witnesses_ok = 0
    for node_index, row in enumerate(seen):
        for name, ids in zip(streams, row):
            if ids == committed.get(name, ([], []))[0]:
                witnesses_ok += 1
            else:
                problems.append(f"node{node_index} witness of {name}: "
                                f"{ids if isinstance(ids, Exception) else f'{len(ids)} ids'} "
                                f"instead of the {made[name]} committed")
    print(f"  committed with {STAMP}: {sum(made.values()):,} events ({', '.join(f'{n} {c}' for n, c in made.items())}); "
          f"witnesses: {witnesses_ok} of {len(seen) * len(streams)} saw exactly those ids")
    expected = expected_events(subscribers, streams, {name: ids for name, (ids, _) in committed.items()})
    for index, node_report in enumerate(reports):
        problems += [f"node{index}: {issue}" for issue in node_problems(node_report, subscribers, expected)]
        if node_report["opened"] > gate_on:
            problems.append(f"node{index}: beacon-bench's window opened after the gate; its count is short")
        latency, server = node_report["latency_ms"], node_report["server"]
        role = f" (leads {', '.join(led.get(f'node{index}', [])) or 'nothing'})" if led is not None else ""
        print(f"  node{index}{role}: {node_report['open_at_end']:,}/{subscribers:,} open; {latency['samples']:,} of "
              f"{expected:,} events with {STAMP} delivered; latency p50 {milliseconds(latency['p50'])}, "
              f"p99 {milliseconds(latency['p99'])}, max {milliseconds(latency['max'])}; "
              f"CPU {100 * server['cpu_s'] / node_report['window_s']:.0f}% of a core, "
              f"{server['cpu_s_per_1m_events']} s per 1M events ({node_report['events']:,} events in a "
              f"{node_report['window_s']:.1f} s window: {gate_on - node_report['opened']:.1f} s before the gate, "
              f"{node_report['opened'] + node_report['window_s'] - gate_off:.1f} s after; "
              f"{node_report['events'] / max(1, node_report['writes']):.1f} events per write call); beacon-bench "
              f"{100 * node_report['self_cpu_s'] / node_report['window_s']:.0f}% of a core")
    per_million = cpu_per_million(reports)
    database = f"; PostgreSQL {100 * database_used / (gate_off - gate_on):.0f}% of a core" \
        if database_used is not None else ""
    print(f"  CPU per 1M events delivered: {per_million:.2f} s{' (the nodes together)' if len(reports) > 1 else ''}"
          f"{database}; every event delivered: {'yes' if not problems else 'NO'}")
    for problem in problems:
        print(f"  problem: {problem}")
    return not problems, per_million


def run(args, admin_url):
    """The cluster, then each single node of --fanout-single; prints the ratios. True when every
    event of every setup was delivered."""
    binary("beacon-bench", args)
    raise_fd_limit(1 << 30)
    results = {}
    for setup in ["cluster", *args.fanout_single]:
        results[setup] = measure(args, setup, admin_url)
    ratios = ", ".join(f"cluster / {name} {results['cluster'][1] / results[name][1]:.2f}" for name in args.fanout_single)
    print(f"fan-out: CPU s per 1M events delivered, per node: "
          + ", ".join(f"{name} {per_million:.2f}" for name, (_, per_million) in results.items())
          + (f"; {ratios} (target ≤ 1.3)" if ratios else ""))
    return all(ok for ok, _ in results.values())
