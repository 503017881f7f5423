"""store: a SQLite store of days of history: its size, a restart on it, and resumes read from it.

Makes a store as --plugins plugins publishing one event every --every seconds for --days days would
leave it (Beacon writes its schema; the rows, in Beacon's format, are added in bulk, ids and times
growing together and ending now, with the per-stream index extended every 50,000 events as
Beacon's writer does), then --runs times:

1. restart: launches `beacon serve --store sqlite:FILE` on the same plugins (schedule --every, so
   none runs twice during the run) and times the launch to `listening`, and to a subscriber of
   /events that connected then having each plugin's latest result (the stored one, unless the
   plugin's first run came first);
2. resumes: a subscriber of /events whose Last-Event-ID lies --replay events before the end of the
   store (every one of them read from the store), and one of /events/p0000 the same number of that
   plugin's events back; the time from the request to the first event and to the last replayed one.

Then the file's size on disk, and after --retention-pass seconds with `--retention` set so that the
oldest --trim minutes are past it, how many rows retention deleted and the size then (SQLite reuses
the freed pages, so a store under retention stops growing). Exit status: 0 when all was measured,
1 when a replay was not exact or beacon failed.
"""

import json
import os
import re
import socket
import sqlite3
import statistics
import time

from . import procfs
from .options import bounded
from .repo import HOST, RunError, beacon_environment, binary
from .server import BeaconServer
from .sse import parse_head, request

ID_LINE = re.compile(rb"\nid: (\d+)\n")

PLUGIN = """schedule = "{every}s"
runs = 0
function check_status()
  runs = runs + 1
  return {{ ok = true, runs = runs, load = 0.42, name = "{name}", at = beacon.now() }}
end
"""


def add_arguments(parser):
    bounded(parser, "--plugins", 1, 5000, type=int, default=1000, help="plugins in the store")
    bounded(parser, "--days", 0.01, 30, type=float, default=7.0, help="days of history")
    bounded(parser, "--every", 1, 3600, type=float, default=60.0, help="seconds between a plugin's events")
    bounded(parser, "--replay", 1, 100000, type=int, default=10000, help="stored events a resume replays")
    bounded(parser, "--runs", 1, 10, type=int, default=3, help="restarts, each with its resumes")
    bounded(parser, "--trim", 0, 600, type=int, default=60, help="minutes of the oldest history retention deletes")
    bounded(parser, "--retention-pass", 5, 900, type=float, default=60.0,
            help="seconds to let retention delete them")
    parser.add_argument("--untuned", action="store_true",
                        help="run beacon without the allocator settings it is deployed with (GLIBC_TUNABLES)")


def row_data(name, runs, at):
    return json.dumps({"ok": True, "runs": runs, "load": 0.42, "name": name, "at": at}, separators=(",", ":"))


RUN_CAPACITY = 256  # ids per row of stream_run, as Beacon's writer cuts them


def id_run(ids):
    """A row of stream_run for ascending `ids`: (last id, first id, each later id's distance from
    the one before as unsigned LEB128), as Beacon's writer encodes it."""
    distances = bytearray()
    for previous, current in zip(ids, ids[1:]):
        distance = current - previous
        while distance >= 0x80:
            distances.append(distance & 0x7F | 0x80)
            distance >>= 7
        distances.append(distance)
    return ids[-1], ids[0], bytes(distances)


def fill(path, plugins, rounds, every):
    """Adds `rounds` events per plugin, the last ending now; returns (first id, last id)."""
    now_ms = int(time.time() * 1000)
    first_ms = now_ms - int((rounds - 1) * every * 1000)
    base = first_ms * 1000
    names = [f"p{index:04d}" for index in range(plugins)]
    database = sqlite3.connect(path)
    database.execute("PRAGMA synchronous = OFF")
    database.executemany("INSERT INTO stream(id, name) VALUES (?, ?)", [(i + 1, n) for i, n in enumerate(names)])
    step = max(1, int(every * 1000 / plugins))  # a round's events spread over its interval

    def rows(start, end):
        for round_ in range(start, end):
            round_ms = first_ms + int(round_ * every * 1000)
            for index, name in enumerate(names):
                at = round_ms + index * step
                yield (base + round_ * plugins + index, index + 1, row_data(name, round_ + 1, at / 1000), at)
    # In batches of about 50,000 events, each then added to the per-stream index as runs of ids, as
    # Beacon's writer does.
    chunk = max(1, 50_000 // plugins)
    for start in range(0, rounds, chunk):
        database.executemany("INSERT INTO event(id, stream_id, name, data, time) VALUES (?, ?, NULL, ?, ?)",
                             rows(start, min(rounds, start + chunk)))
        end = min(rounds, start + chunk)
        runs = []
        for index in range(plugins):
            ids = [base + round_ * plugins + index for round_ in range(start, end)]
            runs += [(index + 1,) + id_run(ids[at:at + RUN_CAPACITY]) for at in range(0, len(ids), RUN_CAPACITY)]
        database.executemany("INSERT INTO stream_run(stream_id, last_id, first_id, distances) VALUES (?, ?, ?, ?)", runs)
        database.execute("INSERT OR REPLACE INTO store_state(key, value) VALUES ('indexed_through', ?)",
                         (base + end * plugins - 1,))
        database.commit()
    database.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    database.close()
    return base, base + rounds * plugins - 1


def size(path):
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p))


def stream(port, path, last_event_id, count, timeout=60.0):
    """GET `path` (with Last-Event-ID unless None) and read `count` events: (seconds to the first
    event, seconds to the `count`th, their ids, Beacon-Resume). Only `id:` lines are looked at, so
    the client costs little next to what it measures."""
    begin = time.monotonic()
    connection = socket.create_connection((HOST, port), timeout=timeout)
    try:
        extra = "" if last_event_id is None else f"Last-Event-ID: {last_event_id}\r\n"
        connection.sendall(request(path).replace(b"\r\n\r\n", f"\r\n{extra}\r\n".encode()))
        data = b""
        while b"\r\n\r\n" not in data:
            more = connection.recv(65536)
            if not more:
                raise RunError(f"{path}: the connection closed before the head")
            data += more
        head, data = data.split(b"\r\n\r\n", 1)
        status, headers = parse_head(head + b"\r\n\r\n")
        if status != 200:
            raise RunError(f"{path}: status {status}")
        ids, first, position = [], None, 0
        while True:
            for found in ID_LINE.finditer(data, position):
                ids.append(int(found.group(1)))
                position = found.end() - 1
            if ids and first is None:
                first = time.monotonic() - begin
            if len(ids) >= count:
                return first, time.monotonic() - begin, ids[:count], headers.get("beacon-resume")
            more = connection.recv(262144)
            if not more:
                raise RunError(f"{path}: the stream ended after {len(ids)} events")
            data += more
    finally:
        connection.close()


def median_range(values, unit=1000, suffix="ms"):
    return (f"{statistics.median(values) * unit:.0f} {suffix} ({min(values) * unit:.0f}-{max(values) * unit:.0f})")


def run(args):
    beacon = binary("beacon", args)
    environment = beacon_environment(args.untuned)
    plugins_dir = os.path.join(args.work, "plugins")
    os.mkdir(plugins_dir)
    path = os.path.join(args.work, "beacon.db")
    store = ["--store", f"sqlite:{path}"]
    empty = BeaconServer(beacon, plugins_dir, os.path.join(args.work, "create.log"), store, environment=environment)
    empty.stop()
    rounds = max(1, int(args.days * 86400 / args.every))
    began = time.monotonic()
    first_id, last_id = fill(path, args.plugins, rounds, args.every)
    filled = time.monotonic() - began
    total = rounds * args.plugins
    print(f"store: {total:,} events ({args.plugins} plugins x {rounds:,}), {size(path) / 2**20:.0f} MiB "
          f"({size(path) / total:.0f} bytes per event); filled in {filled:.0f} s", flush=True)
    for index in range(args.plugins):
        name = f"p{index:04d}"
        with open(os.path.join(plugins_dir, f"{name}.lua"), "w") as plugin:
            plugin.write(PLUGIN.format(every=f"{args.every:g}", name=name))

    listening, latest, from_store, all_first, all_last, one_first, one_last = [], [], [], [], [], [], []
    loads = [procfs.load_average()]
    server = None
    for _ in range(args.runs):
        server = BeaconServer(beacon, plugins_dir, os.path.join(args.work, "beacon.log"), store,
                              environment=environment)
        try:
            listening.append(server.wait_for(r"^listening on ", after=server.launched)[0] - server.launched)
            _, seconds, ids, _ = stream(server.port, "/events", None, args.plugins)
            latest.append(time.monotonic() - server.launched)
            from_store.append(sum(1 for i in ids if i <= last_id))
            # Every replayed event is in the store; ids above its end come from the new process.
            after = last_id - args.replay
            first, last, ids, outcome = stream(server.port, "/events", after, args.replay)
            if outcome != "resumed" or ids != list(range(after + 1, after + 1 + args.replay)):
                raise RunError(f"/events from {after}: {outcome}, not the {args.replay} stored events in order")
            all_first.append(first)
            all_last.append(last)
            after = last_id - args.plugins + 1 - args.replay * args.plugins  # p0000's event --replay back
            if after > first_id:
                first, last, ids, outcome = stream(server.port, "/events/p0000", after, args.replay)
                expected = [after + k * args.plugins for k in range(1, args.replay + 1)]
                if outcome != "resumed" or ids != expected:
                    raise RunError(f"/events/p0000 from {after}: {outcome}, not its {args.replay} stored events")
                one_first.append(first)
                one_last.append(last)
        finally:
            server.stop()
    loads.append(procfs.load_average())
    print(f"\n{args.plugins} plugins, {total:,} stored events; {os.cpu_count()} cores; load average {loads[0]} "
          f"(start), {loads[1]} (end); {args.runs} restarts, median (min-max)")
    print(f"restart: listening {median_range(listening)} after launch; a subscriber of /events had all "
          f"{args.plugins} latest results {median_range(latest)} after launch ({min(from_store)}-{max(from_store)} "
          f"of them from the store)")
    print(f"resume of {args.replay:,} stored events on /events: first event {median_range(all_first)}, "
          f"last {median_range(all_last)} after the request")
    if one_first:
        print(f"resume of {args.replay:,} stored events on /events/p0000: first event {median_range(one_first)}, "
              f"last {median_range(one_last)} after the request")

    # Retention: the oldest --trim minutes are past it; the next pass (one runs 5 s after the start) deletes them.
    if args.trim:
        before = size(path)
        retention = f"{int(rounds * args.every - args.trim * 60)}s"
        server = BeaconServer(beacon, plugins_dir, os.path.join(args.work, "retention.log"),
                              store + ["--retention", retention], environment=environment)
        try:
            deadline = time.monotonic() + args.retention_pass
            expected = args.trim * 60 / args.every * args.plugins
            while time.monotonic() < deadline and server.metric("beacon_store_retention_deleted_rows_total") < expected:
                time.sleep(1)
            deleted = server.metric("beacon_store_retention_deleted_rows_total")
        finally:
            server.stop()
        print(f"retention {retention}: {deleted:,.0f} rows deleted; the file {before / 2**20:.0f} MiB before, "
              f"{size(path) / 2**20:.0f} MiB after (freed pages are reused, not returned)")
    return 0
