"""slow-clients: many subscribers that never read beside a few that do.

Starts beacon with one plugin returning --size bytes --rate times a second, stamped with
beacon.now(), and uses beacon-bench for the clients:

1. baseline: --readers subscribers alone for --baseline seconds (their latency with nobody stalled);
2. then --stalled subscribers that read the response head and never read again, and a few seconds
   later the readers again, for --seconds.

Every 2 s it samples the server's resident memory and descriptors. At the end it prints the readers'
figures in both phases, the memory over time, and the server's own counts of stalled disconnects
and conflated events (/metrics). Exit status: 0 when the server lived and cut stalled clients,
1 otherwise, 2 on setup errors.
"""

import threading
import time

from . import procfs
from .beacon_bench import Load
from .options import bounded
from .repo import RunError, binary
from .server import start_beacon

BEACON_OPTIONS = True  # options after -- go to beacon serve


def add_arguments(parser):
    bounded(parser, "--stalled", 0, 15000, type=int, default=1000, help="subscribers that never read")
    bounded(parser, "--readers", 1, 2000, type=int, default=100, help="subscribers that read everything")
    bounded(parser, "--rate", 0.1, 1000, type=float, default=100.0, help="events per second of the plugin")
    bounded(parser, "--size", 0, 1 << 20, type=int, default=8192, help="bytes of padding in each result")
    bounded(parser, "--seconds", 2, 3600, type=float, default=75.0, help="length of the stalled phase")
    bounded(parser, "--baseline", 1, 600, type=float, default=15.0, help="length of the readers-only phase")


def described(report):
    if not report:
        return "no report"
    latency = report.get("latency_ms", {})
    return (f"{report.get('events_per_s', 0):.0f} events/s, latency p50 {latency.get('p50')} ms, "
            f"p99 {latency.get('p99')} ms, max {latency.get('max')} ms; {report.get('open_at_end')}/{report.get('n')} open")


def phases(args, server, bench):
    """Runs both phases; returns what to print."""
    url = server.url("/events/flood")

    def readers(seconds):  # two address ranges, so neither group runs short of ephemeral ports
        return Load(bench, [url], args.readers, seconds, field="t", pids=[server.pid],
                    source_ips="127.0.0.1-127.0.0.4").run()

    time.sleep(1)
    result = {"start": procfs.sample(server.pid), "baseline": readers(args.baseline)}
    result["after_baseline"] = procfs.sample(server.pid)
    samples, stop = [], threading.Event()

    def sampler():
        began = time.monotonic()
        while not stop.wait(2.0):
            try:
                cut = server.metric("beacon_stalled_disconnects_total")
            except RunError:  # the server died; the verdict says so
                cut = float("nan")
            samples.append((time.monotonic() - began, procfs.sample(server.pid), cut))

    threading.Thread(target=sampler, daemon=True).start()
    stalled = Load(bench, [url], args.stalled, args.seconds, stall=True, source_ips="127.0.0.5-127.0.0.12")
    stalled_thread = threading.Thread(target=stalled.run)
    if args.stalled:
        stalled_thread.start()
        time.sleep(min(5.0, args.seconds / 4))
    result["loaded"] = readers(max(1.0, args.seconds - min(10.0, args.seconds / 2)))
    if args.stalled:
        stalled_thread.join(timeout=args.seconds + 120)
    stop.set()
    result.update(samples=samples, stalled=stalled.report or {}, end=procfs.sample(server.pid),
                  cut=server.metric("beacon_stalled_disconnects_total"),
                  conflated=server.metric("beacon_conflated_events_total"))
    return result


def run(args):
    bench = binary("beacon-bench", args)
    server = start_beacon(args, {"flood.lua": f'schedule = {1.0 / args.rate:.6f}\nlocal pad = string.rep("x", {args.size})\n'
                                              'function check_status()\n  return { t = beacon.now(), pad = pad }\nend\n'})
    print(f"slow-clients: beacon pid {server.pid} on port {server.port}; {args.rate:g} events/s of {args.size} B; "
          f"{args.readers} readers, {args.stalled} stalled; log {server.log_path}")
    try:
        result = phases(args, server, bench)
        alive = server.alive()
    finally:
        server.stop()

    print("\nresident memory and descriptors during the stalled phase:")
    print("      s   RSS MiB  descriptors  stalled cut")
    for when, sample, cut in result["samples"]:
        print(f"{when:7.0f} {sample.rss_mib:9.1f} {sample.fds:12d} {cut:12.0f}")
    for label in ("start", "after_baseline", "end"):
        sample = result[label]
        print(f"{label.replace('_', ' ') + ':':16} RSS {sample.rss_mib:.1f} MiB, {sample.fds} descriptors")
    if result["samples"]:
        print(f"peak during the stalled phase: RSS {max(s.rss_mib for _, s, _ in result['samples']):.1f} MiB")
    print(f"readers alone:        {described(result['baseline'])}")
    print(f"readers with stalled: {described(result['loaded'])}")
    print(f"stalled clients: {result['stalled'].get('connected', '?')} connected, "
          f"{result['stalled'].get('closed_by_server', '?')} closed by the server during their window")
    print(f"server counts: {result['cut']:.0f} stalled disconnects, {result['conflated']:.0f} conflated events")
    ok = alive and (args.stalled == 0 or result["cut"] > 0)
    print("verdict: " + ("ok" if ok else "FAILED") + ("" if alive else " (beacon died)"))
    return 0 if ok else 1
