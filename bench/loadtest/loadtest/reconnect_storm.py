"""reconnect-storm: thousands of clients connecting at once, and again after a restart.

Starts beacon with one plugin, opens --connections clients to /events/storm spread over --spread
seconds, and counts how many got `200 text/event-stream` and a first event within --deadline
seconds. For each round after the first it stops the server (SIGTERM: every stream gets `done`),
starts it again on the same port and has every client reconnect the same way: the storm a restart
causes. Prints a summary per round. Exit status: 0 when every client of every round got its event,
1 otherwise, 2 on setup errors.
"""

import asyncio
import time

from . import procfs
from .options import bounded
from .server import start_beacon
from .sse import Subscription

PLUGIN = """schedule = "1s"
n = 0
function check_status()
  n = n + 1
  return { n = n, pad = string.rep("x", 200) }
end
"""

BEACON_OPTIONS = True  # options after -- go to beacon serve


def add_arguments(parser):
    bounded(parser, "--connections", 1, 15000, type=int, default=5000, help="clients per round")
    bounded(parser, "--spread", 0, 60, type=float, default=1.0, help="seconds over which the clients connect")
    bounded(parser, "--deadline", 1, 120, type=float, default=30.0, help="seconds a client may take")
    bounded(parser, "--rounds", 1, 5, type=int, default=2, help="rounds, with a restart between")


class Client:
    """One client: connect, GET /events/storm, wait for the 200 head and a first event, then hold the
    stream until the server ends it."""

    def __init__(self):
        self.latency = self.error = self.subscription = None
        self.ended = asyncio.Event()

    async def run(self, port, delay, deadline_at):
        await asyncio.sleep(delay)
        begin = time.monotonic()
        try:
            await asyncio.wait_for(self._connect(port), timeout=max(0.01, deadline_at - time.monotonic()))
            self.latency = time.monotonic() - begin
            asyncio.ensure_future(self._hold())
        except asyncio.TimeoutError:
            self.error = self.error or "timeout"
        except ConnectionRefusedError:
            self.error = self.error or "refused"
        except ConnectionResetError:
            self.error = self.error or "reset"
        except OSError as error:
            self.error = self.error or f"os-{error.errno}"
        except Exception as error:  # noqa: BLE001 - a storm tool reports every kind
            self.error = self.error or type(error).__name__

    async def _connect(self, port):
        self.subscription = await Subscription.open(port, "/events/storm", timeout=120)
        if self.subscription.status != 200 or self.subscription.stream is None:
            self.error = f"status-{self.subscription.status}"
            raise ConnectionError(self.error)
        if not await self.subscription.events():
            self.error = "eof-before-event"
            raise ConnectionError(self.error)

    async def _hold(self):
        await self.subscription.drain()
        self.ended.set()

    def close(self):
        if self.subscription:
            self.subscription.close()


def percentile(values, fraction):
    """The value at `fraction` (0 to 1) of the sorted `values`; nan when there are none."""
    return values[min(len(values) - 1, int(fraction * len(values)))] if values else float("nan")


async def storm(server, args):
    clients = [Client() for _ in range(args.connections)]
    started = time.monotonic()
    peak = procfs.sample(server.pid)

    def sample():
        nonlocal peak
        peak = procfs.Sample(*(max(a, b) for a, b in zip(peak, procfs.sample(server.pid))))

    async def sampler():
        while True:
            sample()
            await asyncio.sleep(0.5)

    cpu_before = procfs.cpu_seconds(server.pid)
    sampling = asyncio.ensure_future(sampler())
    await asyncio.gather(*(client.run(server.port, args.spread * index / args.connections, started + args.deadline)
                           for index, client in enumerate(clients)))
    sampling.cancel()
    sample()  # every client that got through still holds its stream
    latencies = sorted(c.latency for c in clients if c.error is None and c.latency is not None)
    errors = {}
    for client in clients:
        if client.error:
            errors[client.error] = errors.get(client.error, 0) + 1
    return clients, {
        "ok": len(latencies), "count": len(clients), "elapsed": time.monotonic() - started,
        "p50": percentile(latencies, 0.50), "p95": percentile(latencies, 0.95), "p99": percentile(latencies, 0.99),
        "max": latencies[-1] if latencies else float("nan"), "errors": errors, "peak": peak,
        "cpu": procfs.cpu_seconds(server.pid) - cpu_before,
    }


def report(number, stats):
    print(f"round {number}: {stats['ok']}/{stats['count']} got 200 + an event (all done in {stats['elapsed']:.1f} s); "
          f"first event after p50 {stats['p50'] * 1000:.0f} ms, p95 {stats['p95'] * 1000:.0f} ms, "
          f"p99 {stats['p99'] * 1000:.0f} ms, max {stats['max'] * 1000:.0f} ms")
    peak = stats["peak"]
    print(f"  server: {stats['cpu']:.2f} s of CPU; peak RSS {peak.rss_mib:.1f} MiB, {peak.fds} descriptors, "
          f"{peak.threads} threads; failures: {stats['errors'] or 'none'}")


async def rounds(server, args):
    all_ok, clients = True, []
    try:
        await asyncio.sleep(1.5)  # the plugin's first result exists
        for number in range(1, args.rounds + 1):
            if number > 1:
                stopping = time.monotonic()
                server.stop()
                held = [c for c in clients if c.latency is not None]
                try:
                    await asyncio.wait_for(asyncio.gather(*(c.ended.wait() for c in held)), timeout=30)
                except asyncio.TimeoutError:
                    pass
                print(f"restart: stopped in {time.monotonic() - stopping:.1f} s; "
                      f"{sum(1 for c in held if c.ended.is_set())}/{len(held)} streams saw their end")
                for client in clients:
                    client.close()
                await asyncio.to_thread(server.start, server.port)
                await asyncio.sleep(1.5)
            before = procfs.sample(server.pid)
            print(f"round {number}: server on port {server.port}, RSS {before.rss_mib:.1f} MiB, "
                  f"{before.fds} descriptors before")
            clients, stats = await storm(server, args)
            report(number, stats)
            all_ok = all_ok and stats["ok"] == stats["count"]
    finally:
        for client in clients:
            client.close()
    return all_ok


def run(args):
    limit = procfs.raise_fd_limit(args.connections + 200)
    if limit < args.connections + 100:
        print(f"reconnect-storm: the open-files limit {limit} is too low for {args.connections} clients")
        return 2
    server = start_beacon(args, {"storm.lua": PLUGIN})
    print(f"reconnect-storm: {args.connections} clients over {args.spread:g} s, deadline {args.deadline:g} s, "
          f"{args.rounds} round(s); log {server.log_path}")
    try:
        return 0 if asyncio.run(rounds(server, args)) else 1
    finally:
        server.stop()
