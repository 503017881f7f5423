"""reload-storm: bursts of SIGHUPs while files change underneath and many clients stream.

Starts beacon with five plugins at 20 ms (p0 to p4) and opens --clients subscribers with
beacon-bench, spread over /events/p0, /events/p1, /events/p2 and /events. Then, --rounds times, it
sends --signals SIGHUPs within --over seconds while p3 and p4 are rewritten (in two writes, so a
reload may catch one half-written), broken, removed and added back. At the end it checks what a
storm must not change:

- no subscriber lost: every client still open, none closed by the server;
- every event id of every stream went up (beacon-bench counts any that did not);
- the final state matches the folder: /plugins lists p0..p4 and p3 runs its last version.

Exit status 0 when all of that holds, 1 when not, 2 on setup errors.
"""

import os
import threading
import time

from .beacon_bench import Load
from .options import bounded
from .repo import binary
from .server import start_beacon

NAMES = ["p0", "p1", "p2", "p3", "p4"]
PLUGIN = 'schedule = "20ms"\nn = 0\nfunction check_status()\n  n = n + 1\n  return {{ n = n, version = "{version}" }}\nend\n'
BROKEN = 'schedule = "20ms"\nfunction check_status( return end\n'
SETTLE = 2.0  # seconds after each round, for the last reload to finish

BEACON_OPTIONS = True  # options after -- go to beacon serve


def add_arguments(parser):
    bounded(parser, "--clients", 1, 15000, type=int, default=1000, help="streaming subscribers")
    bounded(parser, "--signals", 1, 10000, type=int, default=100, help="SIGHUPs per round")
    bounded(parser, "--over", 0.01, 60, type=float, default=1.0, help="seconds each round's SIGHUPs are spread over")
    bounded(parser, "--rounds", 1, 100, type=int, default=3, help="rounds")


def write(path, text):
    """Writes in two steps, so a reload may well catch the file half-written."""
    with open(path, "w") as file:
        half = len(text) // 2
        file.write(text[:half])
        file.flush()
        file.write(text[half:])


def storm(args, server, plugins):
    """The rounds of SIGHUPs and edits; returns how many signals were sent."""
    p3, p4 = os.path.join(plugins, "p3.lua"), os.path.join(plugins, "p4.lua")
    sent = 0
    for round_number in range(args.rounds):
        for step in range(args.signals):
            if not server.alive():
                return sent
            server.signal()
            sent += 1
            choice = step % 4
            if choice == 0:
                write(p3, PLUGIN.format(version=f"r{round_number}s{step}"))
            elif choice == 1 and os.path.exists(p4):
                os.remove(p4)
            elif choice == 2:
                write(p4, PLUGIN.format(version="back"))
            else:
                write(p3, BROKEN)
            time.sleep(args.over / args.signals)
        write(p4, PLUGIN.format(version="back"))
        time.sleep(SETTLE)
    write(p3, PLUGIN.format(version="final"))
    server.signal()
    return sent + 1


def final_state(server):
    """The plugins /plugins lists and the version p3 runs, once they match the folder or after 10 s."""
    names = version = None
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        names = sorted(entry.get("name") for entry in server.get_json("/plugins"))
        version = (server.get_json("/plugins/p3").get("last_result") or {}).get("version")
        if names == NAMES and version == "final":
            break
        time.sleep(0.2)
    return names, version


def run(args):
    bench = binary("beacon-bench", args)
    server = start_beacon(args, {f"{name}.lua": PLUGIN.format(version="first") for name in NAMES})
    plugins = server.plugins
    print(f"reload-storm: beacon pid {server.pid} on port {server.port}; {args.clients} clients; {args.rounds} "
          f"rounds of {args.signals} SIGHUPs in {args.over:g} s; log {server.log_path}")
    urls = [server.url(path) for path in ("/events/p0", "/events/p1", "/events/p2", "/events")]
    ramp = args.clients / 2000
    storm_seconds = args.rounds * (args.over + SETTLE)
    # The clients' window covers the storm with a margin on both sides; it starts once all have connected.
    clients = Load(bench, urls, args.clients, storm_seconds + 4, pids=[server.pid], source_ips="127.0.0.1-127.0.0.4")
    client_thread = threading.Thread(target=clients.run)
    try:
        client_thread.start()
        time.sleep(ramp + 2)
        sent = storm(args, server, plugins)
        client_thread.join(timeout=clients.timeout + 10)
        names, version = final_state(server) if server.alive() else (None, None)
        alive = server.alive()
    finally:
        server.stop()
        client_thread.join(timeout=clients.timeout)
    report = clients.report or {}
    if not report:
        print(f"reload-storm: beacon-bench gave no report ({clients.status}): {clients.errors}")
    print(f"SIGHUPs sent: {sent}; reload log lines: {server.count(r'(?i)reload')}")
    print(f"clients: {report.get('connected', '?')}/{args.clients} connected, {report.get('open_at_end', '?')} open at "
          f"the end, {report.get('closed_by_server', '?')} closed by the server, {report.get('events', '?')} events "
          f"read, {report.get('id_regressions', '?')} ids that did not go up")
    print(f"final state: plugins {names}, p3 runs version {version!r}")
    ok = (alive and report.get("open_at_end") == args.clients and report.get("closed_by_server") == 0
          and report.get("id_regressions") == 0 and names == NAMES and version == "final")
    print("verdict: " + ("ok" if ok else "FAILED") + ("" if alive else " (beacon died)"))
    return 0 if ok else 1
