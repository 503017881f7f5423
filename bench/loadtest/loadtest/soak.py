"""soak: hours of churn, slow clients and reloads against one beacon; memory and descriptors over time.

Starts beacon with four plugins (a fast one, an 8 KiB one, one that fails every third run, a
128 KiB/s flood) and for DURATION seconds keeps up:

- --subscribers long-lived subscribers of tick, big and flaky, reading everything (and
  reconnecting if cut);
- --churn connect/disconnect cycles a second, of nine kinds: streams, multiplexed streams,
  /plugins, /healthz, connections closed before their answer, half-sent requests;
- --stalled clients of the flood that never read (small receive buffer), reopened once the server
  cuts them (beacon gets --stall-timeout 10 --client-buffer 64 unless given other values);
- a plugin edit and SIGHUP every --reload-every seconds (0: none).

Every --sample seconds it prints the server's RSS, descriptors and threads and the load so far;
then it stops the load, lets the server settle, and compares the start with the end. Exit status:
0 when the server lived, stopped cleanly and its descriptors came back to the start (within 20),
1 otherwise, 2 on setup errors.
"""

import asyncio
import os
import random
import socket
import time

from . import procfs
from .options import bounded
from .repo import HOST
from .server import start_beacon
from .sse import Subscription, request

PLUGINS = {
    "tick.lua": 'schedule = "250ms"\nn = 0\nfunction check_status()\n  n = n + 1\n  return { n = n }\nend\n',
    "big.lua": 'schedule = "1s"\nfunction check_status()\n  return { pad = string.rep("x", 8192), t = beacon.now() }\nend\n',
    "flaky.lua": 'schedule = "500ms"\nn = 0\nfunction check_status()\n  n = n + 1\n'
    '  if n % 3 == 0 then error("every third run fails") end\n  return { n = n }\nend\n',
    # 128 KiB/s, followed only by the clients that never read, so they fill up quickly.
    "flood.lua": 'schedule = "250ms"\nfunction check_status()\n  return { pad = string.rep("f", 32768) }\nend\n',
}
FOLLOWED = "/events?plugin=tick&plugin=big&plugin=flaky"
CYCLES = {  # kind: target
    "stream": "/events/tick", "multi": "/events?plugin=tick&plugin=big", "all": "/events",
    "plugins": "/plugins", "plugin": "/plugins/flaky", "health": "/healthz", "abrupt": "/events/big",
    "half": "/events/tick",
}
CYCLE_KINDS = ["stream", "stream", "multi", "all", "plugins", "plugin", "health", "abrupt", "half"]
CUTS = {"--stall-timeout": "10", "--client-buffer": "64"}  # so stalled clients are cut within a short soak

BEACON_OPTIONS = True  # options after -- go to beacon serve


def add_arguments(parser):
    bounded(parser, "duration", 1, 86400, type=float, help="seconds of load")
    bounded(parser, "--subscribers", 0, 5000, type=int, default=200, help="long-lived subscribers")
    bounded(parser, "--churn", 0, 500, type=float, default=40.0, help="connect/disconnect cycles per second")
    bounded(parser, "--stalled", 0, 100, type=int, default=4, help="clients that never read")
    bounded(parser, "--sample", 1, 3600, type=float, default=5.0, help="seconds between samples")
    bounded(parser, "--reload-every", 0, 86400, type=float, default=30.0,
            help="seconds between plugin edits + SIGHUP, 0 for none")
    bounded(parser, "--warmup", 0, 60, type=float, default=5.0,
            help="seconds to let subscribers attach before, and the server settle after")


def check(args):
    if 0 < args.reload_every < 1:
        return "--reload-every must be 0 (no reloads) or at least 1 second"
    return None


class Stats:
    def __init__(self):
        self.cycles = self.cycle_errors = self.events = self.reconnects = self.stalled_cut = self.reloads = 0
        self.last_error = ""


async def subscriber(port, stats, stop):
    """Follows three streams, counting events; reconnects a second after its stream ends."""
    while not stop.is_set():
        subscription = None
        try:
            subscription = await Subscription.open(port, FOLLOWED)
            if subscription.status != 200 or subscription.stream is None:
                raise ConnectionError(f"status {subscription.status}")
            while not stop.is_set():
                events = await subscription.events()
                if not events:
                    break
                stats.events += len(events)
        except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError) as error:
            stats.last_error = f"subscriber: {error!r}"
        finally:
            if subscription:
                subscription.close()
        if not stop.is_set():
            stats.reconnects += 1
            await asyncio.sleep(1)


async def one_cycle(port, stats):
    kind = random.choice(CYCLE_KINDS)
    target = CYCLES[kind]
    writer = None
    try:
        if kind in ("half", "abrupt"):
            _, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), 10)
            writer.write(f"GET {target} HTTP/1.1\r\nHo".encode() if kind == "half" else request(target))
            return
        subscription = await Subscription.open(port, target)
        writer = subscription.writer
        if subscription.status != 200:
            raise ConnectionError(f"{target}: status {subscription.status}")
        if subscription.stream is not None:
            if not await asyncio.wait_for(subscription.events(), 10):
                raise ConnectionError(f"{target}: the stream ended before an event")
        else:
            length = int(subscription.headers.get("content-length", "0"))
            await asyncio.wait_for(subscription.reader.readexactly(length), 10)
    except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError, ConnectionError, ValueError) as error:
        stats.cycle_errors += 1
        stats.last_error = f"{kind}: {error!r}"
    finally:
        stats.cycles += 1
        if writer:
            writer.close()


async def churn(port, rate, stats, stop):
    if rate <= 0:
        return
    pending = set()
    next_at = time.monotonic()
    while not stop.is_set():
        if len(pending) < 500:  # bounded concurrency
            task = asyncio.ensure_future(one_cycle(port, stats))
            pending.add(task)
            task.add_done_callback(pending.discard)
        next_at += 1.0 / rate
        await asyncio.sleep(max(0.0, next_at - time.monotonic()))
    if pending:
        await asyncio.wait(pending, timeout=15)


def open_stalled(port):
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((HOST, port))
    sock.sendall(request("/events/flood"))
    return sock


def is_closed(sock):
    """Whether the server ended the connection (reset or FIN), from the TCP state, without reading."""
    try:
        return sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 8)[0] != 1  # TCP_ESTABLISHED
    except OSError:
        return True


async def stalled_clients(port, count, stats, stop):
    """Clients that never read; each is reopened once the server has cut it."""
    sockets = [open_stalled(port) for _ in range(count)]
    try:
        while not stop.is_set():
            await asyncio.sleep(2)
            for index, sock in enumerate(sockets):
                if is_closed(sock):
                    stats.stalled_cut += 1
                    sock.close()
                    sockets[index] = open_stalled(port)
    finally:
        for sock in sockets:
            sock.close()


async def reloads(server, plugins, every, stats, stop):
    while every > 0 and not stop.is_set():
        try:
            await asyncio.wait_for(stop.wait(), every)
        except asyncio.TimeoutError:
            stats.reloads += 1
            with open(os.path.join(plugins, "flaky.lua"), "w") as plugin:
                plugin.write(PLUGINS["flaky.lua"] + f"-- edit {stats.reloads}\n")
            server.signal()


def row(t, sample, stats):
    return (f"{t:7.0f} {sample.rss_mib:8.1f} {sample.fds:6d} {sample.threads:7d} {stats.cycles:8d} "
            f"{stats.cycle_errors:6d} {stats.events:9d} {stats.reconnects:6d} {stats.stalled_cut:4d} {stats.reloads:7d}")


async def soak(args, server, plugins):
    stats = Stats()
    stop, stop_subscribers = asyncio.Event(), asyncio.Event()
    subscribers = [asyncio.ensure_future(subscriber(server.port, stats, stop_subscribers))
                   for _ in range(args.subscribers)]
    await asyncio.sleep(args.warmup)  # subscribers attached, plugins ran
    start = procfs.sample(server.pid)
    workers = [asyncio.ensure_future(churn(server.port, args.churn, stats, stop)),
               asyncio.ensure_future(stalled_clients(server.port, args.stalled, stats, stop)),
               asyncio.ensure_future(reloads(server, plugins, args.reload_every, stats, stop))]
    print(f"{'t (s)':>7} {'RSS MiB':>8} {'fds':>6} {'threads':>7} {'cycles':>8} {'errors':>6} {'events':>9} "
          f"{'reconn':>6} {'cut':>4} {'reloads':>7}")
    print(row(0, start, stats), flush=True)
    began = time.monotonic()
    while time.monotonic() - began < args.duration and server.alive():
        await asyncio.sleep(min(args.sample, max(0.0, args.duration - (time.monotonic() - began))))
        if server.alive():
            print(row(time.monotonic() - began, procfs.sample(server.pid), stats), flush=True)
    # Stop the churn and the stalled clients, keep the long-lived subscribers, let it settle.
    stop.set()
    await asyncio.wait(workers, timeout=20)
    await asyncio.sleep(args.warmup)
    end = procfs.sample(server.pid) if server.alive() else procfs.GONE
    if server.alive():
        print(row(time.monotonic() - began, end, stats))
    stop_subscribers.set()
    for task in subscribers:
        task.cancel()
    await asyncio.gather(*subscribers, return_exceptions=True)
    return stats, start, end


def run(args):
    procfs.raise_fd_limit(args.subscribers + 1000)
    extra = [item for option, value in CUTS.items() if option not in args.extra for item in (option, value)]
    server = start_beacon(args, PLUGINS, extra)
    print(f"soak: {args.duration:g} s; {args.subscribers} subscribers, {args.churn:g} cycles/s, {args.stalled} stalled "
          f"clients; beacon pid {server.pid} on port {server.port} ({' '.join(extra + args.extra)}); "
          f"log {server.log_path}")
    try:
        stats, start, end = asyncio.run(soak(args, server, server.plugins))
    finally:
        alive = server.alive()
        code = server.stop(30)
    print(f"start: RSS {start.rss_mib:.1f} MiB, {start.fds} descriptors, {start.threads} threads "
          f"(after warm-up, {args.subscribers} subscribers attached)")
    print(f"end:   RSS {end.rss_mib:.1f} MiB, {end.fds} descriptors, {end.threads} threads "
          f"(load stopped, subscribers still attached)")
    print(f"load:  {stats.cycles} cycles ({stats.cycle_errors} errors), {stats.events} events read by subscribers, "
          f"{stats.reconnects} subscriber reconnects, {stats.stalled_cut} stalled clients cut, {stats.reloads} reloads")
    if stats.last_error:
        print(f"last error seen: {stats.last_error}")
    if not alive:
        print("shutdown: beacon had died")
    else:
        print("shutdown: beacon " + ("was killed after 30 s" if code is None else f"exited with {code}"))
    ok = alive and code == 0 and abs(end.fds - start.fds) <= 20
    print("verdict: " + ("ok" if ok else "FAILED") +
          f" (descriptors {start.fds} -> {end.fds}, RSS {start.rss_mib:.1f} -> {end.rss_mib:.1f} MiB)")
    return 0 if ok else 1
