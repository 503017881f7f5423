"""cluster: three beacon nodes on one PostgreSQL: cross-node delivery latency, kill -9 failover, fan-out.

Needs a PostgreSQL server: its URL in $BEACON_TEST_POSTGRES_URL, as scripts/with-postgres sets it
(`scripts/with-postgres bench/run cluster`). Each run makes a database of its own there.

Delivery: three nodes share --plugins plugins every --every seconds, each result stamped with
beacon.now() at the end of its check and with the pid of the node that ran it. One /events
subscriber per node reads for --seconds; for every event committed by another node, the time from
the stamp to its arrival is a cross-node delivery. Prints p50, p99 and the worst, and the CPU of
each node and of PostgreSQL (the postmaster and its children) over the window.

Failover: --trials times, a node that leads plugins is killed with SIGKILL; a subscriber on another
node waits for a new event of each plugin the killed node led, from another node. The time from
the kill to the first event of the last moved plugin is the trial's failover time. The node is
started again and the plugins spread again before the next trial. Prints the median and the worst.

Fan-out (with --fanout-subscribers): that many subscribers on each of three nodes, every event
counted, and each node's CPU per event beside one node alone; see loadtest/cluster_fanout.py.
--plugins 0 and --trials 0 skip the other two parts.

Exit status 0 when every trial saw every moved plugin again and every fan-out event was delivered,
1 when not, 2 on setup errors.
"""

import asyncio
import json
import os
import signal
import statistics
import subprocess
import time
import urllib.request

from . import cluster_fanout
from .options import bounded
from .procfs import child_pids, cpu_seconds, load_average
from .repo import HOST, SetupError, binary
from .server import BeaconServer
from .sse import Subscription

PLUGIN = """schedule = "{every}"
local stat = io.open("/proc/self/stat")
pid = tonumber(stat:read("l"):match("^%d+"))
stat:close()
function check_status()
  return {{ pid = pid, t = beacon.now() }}
end
"""


def add_arguments(parser):
    bounded(parser, "--plugins", 0, 5000, type=int, default=1000, help="plugins of the delivery run; 0 skips it")
    bounded(parser, "--every", 0.05, 60, type=float, default=1.0, help="their schedule, in seconds")
    bounded(parser, "--seconds", 2, 600, type=float, default=20, help="how long the subscribers read")
    bounded(parser, "--trials", 0, 100, type=int, default=20, help="kill -9 failover trials")
    bounded(parser, "--failover-plugins", 3, 1000, type=int, default=30, help="plugins of the failover trials")
    cluster_fanout.add_arguments(parser)


def check(args):
    if 0 < args.plugins < 3:
        return "--plugins must be 0 (no delivery run) or from 3 to 5000"
    return cluster_fanout.check(args)


def psql(url, command):
    result = subprocess.run(["psql", "-v", "ON_ERROR_STOP=1", "-qAt", url, "-c", command],
                            capture_output=True, text=True, timeout=60)
    if result.returncode != 0:
        raise SetupError(f"psql {command}: {result.stderr.strip()}")
    return result.stdout


def new_database(admin_url, name):
    psql(admin_url, f"CREATE DATABASE {name}")
    return admin_url.rsplit("/", 1)[0] + "/" + name


def server_pids(admin_url):
    """The postmaster (from its data folder's postmaster.pid) and its children, when readable."""
    folder = psql(admin_url, "SELECT setting FROM pg_settings WHERE name = 'data_directory'").strip()
    try:
        with open(os.path.join(folder, "postmaster.pid")) as file:
            root = int(file.readline())
    except OSError:
        return []
    return [root, *child_pids(root)]


def database_cpu_seconds(admin_url):
    """CPU seconds of each PostgreSQL process by pid; a process that ended (the backend of the
    psql that asks) is left out, one that began since counts from zero."""
    times = {pid: cpu_seconds(pid) for pid in server_pids(admin_url)}
    return {pid: seconds for pid, seconds in times.items() if seconds == seconds}


def start_nodes(args, count, plugins, store, tag):
    """`count` nodes, each with its own copy of the plugin files."""
    nodes = []
    for index in range(count):
        folder = os.path.join(args.work, f"{tag}-node{index}")
        os.makedirs(folder, exist_ok=True)
        for name, text in plugins.items():
            with open(os.path.join(folder, name), "w") as file:
                file.write(text)
        nodes.append(BeaconServer(binary("beacon", args), folder, os.path.join(args.work, f"{tag}-node{index}.log"),
                                  ["--store", store, "--node-name", f"node{index}", *args.extra]))
    return nodes


def cluster_view(node):
    with urllib.request.urlopen(node.url("/cluster"), timeout=5) as answer:
        return json.load(answer)


def wait_spread(nodes, total, timeout=60.0):
    """Waits until every running node leads some plugin and all `total` have a leader."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            view = cluster_view(next(node for node in nodes if node.alive()))
            leads = [len(member["leads"]) for member in view["nodes"]]
            if len(leads) == sum(node.alive() for node in nodes) and min(leads) > 0 and sum(leads) == total:
                return view
        except (OSError, ValueError, StopIteration):
            pass
        time.sleep(0.2)
    raise SetupError(f"the plugins did not spread over the nodes within {timeout:.0f} s")


async def read_deliveries(nodes, seconds):
    """Cross-node delivery latencies (seconds) seen by one /events subscriber per node."""
    latencies = []
    pids = [node.pid for node in nodes]

    async def subscriber(index):
        subscription = await Subscription.open(nodes[index].port, "/events")
        end = time.monotonic() + seconds
        skip_until = time.time() + 0.5  # the latest results replayed on connect are not deliveries
        try:
            while time.monotonic() < end:
                try:
                    events = await asyncio.wait_for(subscription.events(), max(0.1, end - time.monotonic()))
                except asyncio.TimeoutError:
                    break
                arrival = time.time()
                for event in events:
                    try:
                        data = json.loads(event.data)
                    except (ValueError, AttributeError):
                        continue
                    if arrival < skip_until or data.get("pid") == pids[index]:
                        continue
                    latencies.append(arrival - data["t"])
        finally:
            subscription.close()

    await asyncio.gather(*(subscriber(index) for index in range(len(nodes))))
    return latencies


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))] if ordered else float("nan")


def delivery(args, admin_url):
    store = new_database(admin_url, f"beacon_bench_{os.getpid()}_d")
    plugins = {f"p{index}.lua": PLUGIN.format(every=f"{args.every:g}s") for index in range(args.plugins)}
    nodes = start_nodes(args, 3, plugins, store, "delivery")
    try:
        wait_spread(nodes, args.plugins)
        time.sleep(2)
        database = database_cpu_seconds(admin_url)
        before = [cpu_seconds(node.pid) for node in nodes]
        started = time.monotonic()
        latencies = asyncio.run(read_deliveries(nodes, args.seconds))
        elapsed = time.monotonic() - started
        after = [cpu_seconds(node.pid) for node in nodes]
        database_used = sum(seconds - database.get(pid, 0.0)
                            for pid, seconds in database_cpu_seconds(admin_url).items())
        load = load_average()
    finally:
        for node in nodes:
            node.stop()
    node_cpu = [100 * (b - a) / elapsed for a, b in zip(before, after)]
    database_cpu = 100 * database_used / elapsed
    print(f"delivery: {args.plugins} plugins every {args.every:g} s on 3 nodes, {elapsed:.1f} s, load {load}")
    print(f"  cross-node deliveries: {len(latencies)}; p50 {1000 * percentile(latencies, 0.5):.1f} ms, "
          f"p99 {1000 * percentile(latencies, 0.99):.1f} ms, worst {1000 * max(latencies or [float('nan')]):.1f} ms")
    print(f"  CPU: nodes {', '.join(f'{value:.0f}%' for value in node_cpu)} of a core; PostgreSQL {database_cpu:.0f}%")
    return bool(latencies)


async def first_events(node, moved, killed_pid, killed, timeout):
    """The monotonic arrival time of the first event of each plugin in `moved` that a node other
    than `killed_pid` ran after the Unix time `killed[0]` (set when the kill is sent)."""
    subscription = await Subscription.open(node.port, "/events")
    seen = {}
    end = time.monotonic() + timeout
    try:
        while len(seen) < len(moved) and time.monotonic() < end:
            try:
                events = await asyncio.wait_for(subscription.events(), max(0.1, end - time.monotonic()))
            except asyncio.TimeoutError:
                break
            arrival = time.monotonic()
            for event in events:
                if event.name not in moved or event.name in seen or not killed[0]:
                    continue
                try:
                    data = json.loads(event.data)
                except ValueError:
                    continue
                if data.get("pid") != killed_pid and data.get("t", 0) > killed[0]:
                    seen[event.name] = arrival
    finally:
        subscription.close()
    return seen


def failover(args, admin_url):
    store = new_database(admin_url, f"beacon_bench_{os.getpid()}_f")
    plugins = {f"f{index}.lua": PLUGIN.format(every="100ms") for index in range(args.failover_plugins)}
    nodes = start_nodes(args, 3, plugins, store, "failover")
    times, missing = [], 0
    try:
        for trial in range(args.trials):
            view = wait_spread(nodes, args.failover_plugins)
            victim = trial % 3
            moved = set(next(member["leads"] for member in view["nodes"] if member["name"] == f"node{victim}"))
            watcher = nodes[(victim + 1) % 3]
            killed_pid = nodes[victim].pid

            async def trial_run():
                killed = [0.0]
                task = asyncio.ensure_future(first_events(watcher, moved, killed_pid, killed, 20))
                await asyncio.sleep(0.5)
                kill_monotonic = time.monotonic()
                killed[0] = time.time()
                os.kill(killed_pid, signal.SIGKILL)
                seen = await task
                return {name: arrival - kill_monotonic for name, arrival in seen.items()}

            seen = asyncio.run(trial_run())
            nodes[victim].process.wait(10)
            if len(seen) < len(moved):
                missing += 1
                print(f"  trial {trial + 1}: {len(moved) - len(seen)} of {len(moved)} moved plugins never came back")
            else:
                times.append(max(seen.values()))
                print(f"  trial {trial + 1}: node{victim} killed, {len(moved)} plugins moved, last one back after "
                      f"{max(seen.values()):.2f} s (first {min(seen.values()):.2f} s)")
            nodes[victim].start()
    finally:
        for node in nodes:
            node.stop()
    if times:
        print(f"failover after kill -9, {len(times)} trials: median {statistics.median(times):.2f} s, "
              f"worst {max(times):.2f} s; load {load_average()}")
    return missing == 0


def run(args):
    admin_url = os.environ.get("BEACON_TEST_POSTGRES_URL")
    if not admin_url:
        raise SetupError("no PostgreSQL: run it as `scripts/with-postgres bench/run cluster ...`")
    binary("beacon", args)
    if args.fanout_subscribers:
        binary("beacon-bench", args)
    args.no_build = True  # built once, above
    print(f"cluster: PostgreSQL {admin_url.split('@', 1)[-1]}; load {load_average()}")
    ok = delivery(args, admin_url) if args.plugins else True
    if args.trials:
        ok = failover(args, admin_url) and ok
    if args.fanout_subscribers:
        ok = cluster_fanout.run(args, admin_url) and ok
    print("verdict: " + ("ok" if ok else "FAILED"))
    return 0 if ok else 1


BEACON_OPTIONS = True  # options after -- go to beacon serve
