"""A tiny real run of each tool: the built beacon and beacon-bench on loopback, a few seconds each.
They check function (everyone connected, events arrived in order, the verdict), never timing."""

import json
import re

import pytest


def passed(done):
    assert done.returncode == 0, f"exit {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def test_fanout_beacon_and_the_floor(run_tool, tmp_path):
    results = tmp_path / "runs.jsonl"
    out = passed(run_tool("fanout", "--targets", "beacon,floor", "--connections", "200", "--runs", "1",
                          "--duration", "3", "--rate", "5", "--no-pin", "--results", str(results), timeout=180))
    assert "| server CPU s per 1M events" in out and "| Beacon / floor" in out
    records = {record["target"]: record for record in map(json.loads, results.read_text().splitlines())}
    assert set(records) == {"beacon", "floor"}
    for target, record in records.items():
        assert (record["size"], record["rate"], record["connected"], record["open_at_end"]) == (200, 5, 200, 200), target
        assert record["events"] >= 200 and record["id_regressions"] == 0 and record["closed_by_server"] == 0, target
        assert record["latency_ms"]["p50"] is not None and record["server"]["cpu_s"] is not None, target


def test_fanout_idle_subscribers(run_tool, tmp_path):
    results = tmp_path / "runs.jsonl"
    passed(run_tool("fanout", "--targets", "beacon", "--idle", "--connections", "50", "--runs", "1", "--duration", "2",
                    "--no-pin", "--results", str(results)))
    record = json.loads(results.read_text())
    assert (record["rate"], record["open_at_end"]) == (0, 50)
    assert record["events"] <= 50  # at most the one result, as each subscriber's replay: no new events
    assert record["server"]["rss_kib_per_conn"] is not None


def test_plugin_scale(run_tool):
    out = passed(run_tool("plugin-scale", "--plugins", "20", "--seconds", "1", "--windows", "2", "--warmup", "0",
                          "--reloads", "1"))
    assert "start:  plugins loaded" in out and "(20 added, 0 failed)" in out
    assert "0 ticks skipped, 0 failures in all" in out
    assert "changed ['p0000']" in out
    assert "cadence of 5 unchanged streams (p0001, p0002, p0003, p0004, p0005)" in out


def test_plugin_scale_beside_another_build_untuned(run_tool, binaries):
    out = passed(run_tool("plugin-scale", "--plugins", "10", "--seconds", "1", "--windows", "1", "--warmup", "0",
                          "--beside", binaries["BEACON_BIN"], "--beside-untuned"))
    assert "GLIBC_TUNABLES=glibc.malloc." in out and "GLIBC_TUNABLES=(unset)" in out
    assert "B / A: " in out


def test_soak(run_tool):
    out = passed(run_tool("soak", "4", "--subscribers", "5", "--churn", "20", "--stalled", "2", "--reload-every", "1",
                          "--sample", "2", "--warmup", "1"))
    assert "shutdown: beacon exited with 0" in out
    load = next(line for line in out.splitlines() if line.startswith("load:"))
    assert "(0 errors)" in load and "0 subscriber reconnects" in load and " 0 cycles" not in load
    assert "verdict: ok" in out


def test_reconnect_storm_with_a_restart(run_tool):
    out = passed(run_tool("reconnect-storm", "--connections", "50", "--spread", "0.5", "--deadline", "20",
                          "--rounds", "2"))
    assert "round 1: 50/50 got 200 + an event" in out and "round 2: 50/50 got 200 + an event" in out
    assert "50/50 streams saw their end" in out


def test_slow_clients_are_cut(run_tool):
    out = passed(run_tool("slow-clients", "--stalled", "20", "--readers", "5", "--rate", "50", "--size", "60000",
                          "--seconds", "6", "--baseline", "1", "--", "--stall-timeout", "1", "--client-buffer", "16"))
    # Every stalled client is cut; on a busy machine a client of the readers-only phase, closing
    # late, may be counted too. The readers of the window must all stay open.
    cut = int(re.search(r"server counts: (\d+) stalled disconnects", out).group(1))
    assert 20 <= cut <= 25
    assert "5/5 open" in out and "verdict: ok" in out


def test_reload_storm(run_tool):
    out = passed(run_tool("reload-storm", "--clients", "20", "--signals", "10", "--over", "0.5", "--rounds", "1"))
    assert "clients: 20/20 connected, 20 open at the end, 0 closed by the server" in out
    assert "final state: plugins ['p0', 'p1', 'p2', 'p3', 'p4'], p3 runs version 'final'" in out


def test_store_restart_resumes_and_retention(run_tool):
    out = passed(run_tool("store", "--plugins", "5", "--days", "0.02", "--every", "1", "--replay", "50", "--runs", "1",
                          "--trim", "1", "--retention-pass", "20", timeout=180))
    assert "store: 8,640 events (5 plugins x 1,728)" in out
    assert "a subscriber of /events had all 5 latest results" in out
    assert "resume of 50 stored events on /events:" in out and "resume of 50 stored events on /events/p0000:" in out
    deleted = re.search(r"retention 1668s: ([\d,]+) rows deleted", out)
    assert deleted and int(deleted.group(1).replace(",", "")) >= 300  # the oldest minute, and what aged meanwhile


def test_plugin_scale_beside_a_store(run_tool, binaries):
    out = passed(run_tool("plugin-scale", "--plugins", "10", "--seconds", "1", "--windows", "1", "--warmup", "0",
                          "--beside", binaries["BEACON_BIN"], "--beside-store", "sqlite"))
    assert "A: " in out and "--store memory" in out and "B: " in out and "--store sqlite" in out


def test_http_checks(run_tool):
    out = passed(run_tool("http-checks", "--plugins", "30", "--schedule", "1s", "--hosts", "3", "--slow", "0.3",
                          "--slow-percent", "20", "--never-percent", "10", "--warmup", "1", "--duration", "3",
                          "--spawn-runs", "1", timeout=120))
    median = float(re.search(r"spawn-20: a check spawning 20 requests of 200 ms took (\d+) ms", out).group(1))
    assert median > 150  # the 200 ms answers were waited for
    assert re.search(r"beacon: runs \d+, ticks skipped \d+ \(\d+ of them by the plugins checking /never, backing off\), failures \{.*\}", out), out
    assert "start lag:" in out and "% of one core; threads at most" in out


def test_dashboard(run_tool):
    pytest.importorskip("selenium", reason="the dashboard tool drives Chromium through selenium (scripts/test-browser installs it)")
    out = passed(run_tool("dashboard", "--plugins", "30", "--schedule", "500ms", "--loads", "2", "--settle", "1",
                          timeout=180))
    loads = re.findall(r"load \d: first render \d+ ms \(/plugins read \d+ ms\), 30 cards; in 1 s after: (\d+) history "
                       r"requests, at most (\d) at once", out)
    assert len(loads) == 2, out
    assert all(int(requests) >= 1 and 1 <= int(most) <= 4 for requests, most in loads), loads
    assert re.search(r"^first render: \d+ ms \(\d+-\d+\)", out, re.M), out


def test_cluster_fanout_counts_every_event_beside_one_node(run_tool):
    out = passed(run_tool("cluster", "--plugins", "0", "--trials", "0", "--fanout-subscribers", "40",
                          "--fanout-plugins", "3", "--fanout-seconds", "2", "--fanout-drain", "2",
                          "--fanout-ramp", "200", "--fanout-single", "memory", timeout=240, beside_postgres=True))
    assert "fan-out, 3 nodes on PostgreSQL: 40 subscribers per node on 3 plugins' streams (13-14 each)" in out
    assert "fan-out, 1 node, --store memory: 40 subscribers per node" in out
    assert out.count("every event delivered: yes") == 2, out
    assert "witnesses: 9 of 9 saw exactly those ids" in out and "witnesses: 3 of 3 saw exactly those ids" in out
    delivered = re.findall(r"40/40 open; ([\d,]+) of ([\d,]+) events with t delivered", out)
    assert len(delivered) == 4 and all(got == wanted and int(got) >= 40 for got, wanted in delivered), delivered
    assert re.search(r"fan-out: CPU s per 1M events delivered, per node: cluster [\d.]+, memory [\d.]+; "
                     r"cluster / memory [\d.]+ \(target ≤ 1.3\)", out), out
    assert "verdict: ok" in out
