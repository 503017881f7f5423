"""What the tools read: SSE streams, beacon-bench's report, /proc, Prometheus text, the systemd unit,
and the tables and verdicts they compute from them."""

import json
import math
import os

import pytest

from loadtest import cli, cluster_fanout, fanout, plugin_scale, procfs, reconnect_storm
from loadtest.beacon_bench import Load, read_report
from loadtest.repo import SetupError, deployed_tunables, now_plugin
from loadtest.server import metric_sum
from loadtest.sse import Event, EventStream, parse_head


def chunked(*pieces):
    return b"".join(b"%x\r\n%s\r\n" % (len(piece), piece) for piece in pieces) + b"0\r\n\r\n"


BODY = (b"retry: 3000\n\n",
        b"id: 17\nevent: cpu\ndata: {\"load\":0.5}\n\n",
        b": keep-alive\n\n",
        b"id: 18\nevent: cpu\ndata: {\"load\":\n",
        b"data: 0.6}\n\n")
EXPECTED = [Event("cpu", '{"load":0.5}', "17"), Event("cpu", '{"load":\n0.6}', "18")]


@pytest.mark.parametrize("size", [1, 2, 3, 7, 1000])
def test_events_come_out_whole_however_the_chunked_body_is_split(size):
    body = chunked(*BODY)
    stream = EventStream(chunked=True)
    events = []
    for start in range(0, len(body), size):
        events += stream.feed(body[start:start + size])
    assert events == EXPECTED
    assert stream.ended


def test_a_plain_body_with_crlf_and_cr_line_ends():
    stream = EventStream(chunked=False)
    events = stream.feed(b"retry: 10\r\n\r\nevent: a\r\ndata: 1\r\n\r")
    events += stream.feed(b"\nevent: b\rdata: 2\r\r\n")
    assert events == [Event("a", "1", None), Event("b", "2", None)]


def test_an_event_without_a_name_is_a_message_and_one_without_data_is_nothing():
    assert EventStream(chunked=False).feed(b"data: x\n\nevent: empty\n\n") == [Event("message", "x", None)]


def test_a_response_head():
    status, headers = parse_head(b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 12\r\n"
                                 b"Content-Type: application/json\r\n\r\n")
    assert status == 503
    assert headers == {"retry-after": "12", "content-type": "application/json"}


REPORT = {"n": 20, "connected": 20, "open_at_end": 20, "events": 60, "events_per_s": 20.0, "id_regressions": 0,
          "latency_ms": {"p50": 1.5, "p99": 4.0}, "server": {"cpu_s_per_1m_events": 12.5,
                                                             "user_cpu_s_per_1m_events": 2.0,
                                                             "rss_kib_per_conn": 4.8}}


def test_beacon_bench_report_is_its_last_json_line():
    stdout = "warming up\n" + json.dumps({"n": 1}) + "\n" + json.dumps(REPORT) + "\n"
    assert read_report(stdout) == REPORT
    assert read_report("no report\n") is None
    assert read_report("{truncated\n") is None


def test_beacon_bench_command_line():
    load = Load("bb", ["http://127.0.0.1:1/events/a", "http://127.0.0.1:1/events"], 300, 15, ramp=1000,
                source_ips="127.0.0.1-127.0.0.4", pids=[11, 12], field="at", stall=True, cpu=0)
    assert load.command == ["taskset", "-c", "0", "bb", "load", "http://127.0.0.1:1/events/a",
                            "http://127.0.0.1:1/events", "--connections", "300", "--ramp", "1000", "--duration",
                            "15", "--source-ips", "127.0.0.1-127.0.0.4", "--pid", "11,12", "--field", "at", "--stall"]
    assert load.timeout == pytest.approx(300 / 1000 + 15 + 60)


def test_proc_stat_fields_survive_a_command_name_with_spaces_and_parentheses():
    line = "4242 (beacon (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 250 75 0 0 20 0 9 0\n"
    fields = procfs.stat_fields(line)
    assert fields[0] == "S" and fields[1] == "1"
    assert (int(fields[11]), int(fields[12])) == (250, 75)


def test_proc_status_values():
    text = "Name:\tbeacon\nVmHWM:\t   80000 kB\nVmRSS:\t   76032 kB\nThreads:\t9\nvoluntary_ctxt_switches:\t12\n"
    assert procfs.status_value(text, "VmRSS") == 76032
    assert procfs.status_value(text, "Threads") == 9


def test_this_process_as_proc_sees_it():
    sample = procfs.sample(os.getpid())
    assert sample.rss_mib > 1 and sample.fds >= 3 and sample.threads >= 1
    assert procfs.cpu_seconds(os.getpid()) > 0
    assert procfs.command_name(os.getpid())
    assert procfs.sample(2 ** 22 + 1) == procfs.GONE  # above the kernel's largest pid


def test_prometheus_metric_sums_every_label_set_and_nothing_else():
    text = ("# TYPE beacon_stalled_disconnects_total counter\n"
            "beacon_stalled_disconnects_total 7\n"
            "beacon_stalled_disconnects_total_extra 100\n"
            'beacon_conflated_events_total{plugin="a"} 3\n'
            'beacon_conflated_events_total{plugin="b"} 4.5\n')
    assert metric_sum(text, "beacon_stalled_disconnects_total") == 7
    assert metric_sum(text, "beacon_conflated_events_total") == 7.5
    assert metric_sum(text, "beacon_missing_total") == 0


def test_the_allocator_settings_come_from_the_systemd_unit():
    assert deployed_tunables("[Service]\nEnvironment=GLIBC_TUNABLES=glibc.malloc.arena_max=1\n") == \
        "glibc.malloc.arena_max=1"
    assert deployed_tunables().startswith("glibc.malloc.")  # examples/deploy/beacon.service
    with pytest.raises(SetupError, match="no Environment=GLIBC_TUNABLES= line"):
        deployed_tunables("[Service]\nExecStart=/usr/bin/beacon serve\n")


def test_the_bench_plugin_gets_the_schedule_asked_for():
    text = now_plugin("0.200000")
    assert "\nschedule = 0.200000\n" in text and "beacon.now()" in text


def test_fanout_table_medians_ranges_and_ratios():
    faster = json.loads(json.dumps(REPORT))
    faster["server"]["cpu_s_per_1m_events"] = 10.0
    faster["latency_ms"]["p99"] = 3.2
    args = cli.parse(["fanout", "--targets", "beacon,floor", "--connections", "20", "--runs", "2"])
    lines = fanout.table(20, args, {"beacon": [REPORT, REPORT], "floor": [faster, faster]}, [0.5, 1.25])
    assert "load average before the runs 0.50-1.25" in lines[0]
    header, cpu, p99 = lines[1], row(lines, "server CPU"), row(lines, "latency p99")
    assert header.index("floor") < header.index("Beacon") < header.index("Beacon / floor")
    assert cpu == ["server CPU s per 1M events", "10.0", "12.5", "1.25"]
    assert p99 == ["latency p99 ms", "3.2", "4.0", "1.25"]
    assert row(lines, "RSS") == ["RSS KiB per subscriber", "4.8", "4.8", ""]  # no memory ratio to the floor
    assert row(lines, "events/s") == ["events/s delivered (offered 100)", "20", "20", ""]


def test_fanout_cell_shows_the_range_only_when_runs_differ():
    other = dict(REPORT, events_per_s=30.0)
    assert fanout.cell([REPORT, other, REPORT], "events", 0) == "20 (20-30)"
    assert fanout.cell([REPORT, REPORT], "events", 0) == "20"
    assert fanout.cell([], "events", 0) == "-"


def test_reload_cadence_splits_gaps_near_reloads_and_flags_late_ones():
    reloads = [{"window": (10.0, 10.1)}]
    events = [(9.0, "a", 1.0), (9.1, "a", 1.1), (10.3, "a", 1.4), (12.0, "a", 2.0), (12.1, "a", 2.1),
              (9.05, "b", "not a stamp")]
    flow = plugin_scale.cadence(events, reloads, interval=0.1)
    assert flow["streams"] == 1
    assert flow["near"] == pytest.approx([0.3, 0.6])  # both gaps touch the reload's window
    assert flow["far"] == pytest.approx([0.1, 0.1])
    assert flow["late"] == pytest.approx([0.3, 0.6])


def test_log_time_is_seconds_of_the_day():
    assert plugin_scale.log_seconds({"time": "2026-11-25T13:04:05.250Z"}) == pytest.approx(47045.25)
    assert plugin_scale.log_seconds({"message": "no time"}) is None


def test_percentiles_of_first_event_delays():
    values = [0.1 * n for n in range(1, 11)]
    assert reconnect_storm.percentile(values, 0.5) == pytest.approx(0.6)
    assert reconnect_storm.percentile(values, 0.99) == pytest.approx(1.0)
    assert math.isnan(reconnect_storm.percentile([], 0.5))


def row(lines, label):
    """The cells of the table row starting with `label`."""
    found = next(line for line in lines if line.startswith(f"| {label}"))
    return [cell.strip() for cell in found.strip("|").split("|")]


def test_fanout_subscribers_are_dealt_round_robin_over_the_streams():
    assert cluster_fanout.per_stream(14, ["f0", "f1", "f2", "f3"]) == {"f0": 4, "f1": 4, "f2": 3, "f3": 3}
    committed = {"f0": [1, 4], "f1": [2], "f2": [3, 5, 6]}  # f3 committed nothing
    assert cluster_fanout.expected_events(14, ["f0", "f1", "f2", "f3"], committed) == 4 * 2 + 4 * 1 + 3 * 3


def test_fanout_seq_gaps():
    assert cluster_fanout.gaps([7, 8, 9]) == 0
    assert cluster_fanout.gaps([7, 9, 12]) == 3
    assert cluster_fanout.gaps([]) == 0


def fanout_report(**changes):
    report = {"connected": 10, "open_at_end": 10, "closed_by_server": 0, "id_regressions": 0, "events": 400,
              "latency_ms": {"samples": 300}, "server": {"cpu_s": 0.004}}
    report.update(changes)
    return report


def test_a_fanout_node_proves_delivery_only_with_every_count_right():
    assert cluster_fanout.node_problems(fanout_report(), 10, 300) == []
    assert cluster_fanout.node_problems(fanout_report(), 10, 301) == \
        ["300 events with t counted, 301 committed × subscribers"]
    assert cluster_fanout.node_problems(fanout_report(open_at_end=9, closed_by_server=1), 10, 300) == \
        ["10 connected and 9 open of 10", "1 closed by the server"]
    assert cluster_fanout.node_problems(fanout_report(id_regressions=2), 10, 300) == ["2 ids that did not go up"]
    assert cluster_fanout.node_problems(None, 10, 300) == ["beacon-bench gave no report"]


def test_fanout_cpu_per_million_events_of_nodes_together():
    reports = [fanout_report(), fanout_report(events=600, server={"cpu_s": 0.011})]
    assert cluster_fanout.cpu_per_million(reports) == pytest.approx(15.0)
    assert math.isnan(cluster_fanout.cpu_per_million([fanout_report(events=0)]))
