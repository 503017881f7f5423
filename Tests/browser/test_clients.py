"""Beacon's streams read by clients that are not ours: httpx-sse (PyPI) and `curl -N`."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time

import httpx
import pytest
from httpx_sse import connect_sse

from conftest import COUNTER, wait_for, write_plugin

TIMEOUT = httpx.Timeout(5.0)  # connect, and each read: a stalled stream fails the test instead of hanging


def read_events(url, count, headers=None, deadline=10.0):
    """The first `count` events of a stream (and the response), read with httpx-sse.

    The stream's opening `retry:` (an event of its own for httpx-sse: no data) is kept in `retries`."""
    got, retries = [], []
    with httpx.Client(timeout=TIMEOUT) as client:
        with connect_sse(client, "GET", url, headers=headers or {}) as source:
            response = source.response
            assert response.status_code == 200, response.read()
            end = time.monotonic() + deadline
            for event in source.iter_sse():
                if event.retry is not None and not event.data and not got:
                    retries.append(event.retry)
                    continue
                got.append(event)
                if len(got) >= count or time.monotonic() > end:
                    break
    assert len(got) >= count, f"only {len(got)} of {count} events from {url} within {deadline} s"
    response.retries = retries
    return response, got


def test_multiplexed_stream_with_httpx_sse(plugins, beacon_server):
    for name in ("a", "b", "c"):
        write_plugin(plugins, name, COUNTER)
    server = beacon_server()
    response, got = read_events(server.base + "/events?plugin=a&plugin=b", 12)
    assert response.headers["content-type"].startswith("text/event-stream")
    assert response.headers["cache-control"] == "no-cache"
    assert response.headers["beacon-resume"] == "none"
    names = [e.event for e in got]
    assert set(names) == {"a", "b"}, names
    ids = [int(e.id) for e in got]
    assert ids == sorted(ids) and len(set(ids)) == len(ids), ids
    for name in ("a", "b"):
        counts = [json.loads(e.data)["n"] for e in got if e.event == name]
        assert counts == list(range(counts[0], counts[0] + len(counts))), (name, counts)
    assert response.retries == [200]
    assert all(e.retry is None for e in got)


def test_resumed_stream_gets_exactly_the_missed_events(plugins, beacon_server):
    for name in ("a", "b"):
        write_plugin(plugins, name, COUNTER)
    server = beacon_server()
    url = server.base + "/events?plugin=a&plugin=b"
    _, first = read_events(url, 6)
    resume_from = first[3]
    # Events published while no one listens...
    time.sleep(0.8)
    response, resumed = read_events(url, 8, headers={"Last-Event-ID": resume_from.id})
    assert response.headers["beacon-resume"] == "resumed"
    # ...come first, starting right after the id: nothing before it, nothing lost, nothing twice.
    resumed_ids = [int(e.id) for e in resumed]
    assert resumed_ids[0] > int(resume_from.id)
    assert resumed_ids == sorted(resumed_ids) and len(set(resumed_ids)) == len(resumed_ids)
    assert [(e.id, e.event, e.data) for e in resumed[:2]] == [(e.id, e.event, e.data) for e in first[4:6]]
    last_seen = {e.event: json.loads(e.data)["n"] for e in first[:4]}
    for name in ("a", "b"):
        counts = [json.loads(e.data)["n"] for e in resumed if e.event == name]
        assert counts and counts == list(range(last_seen[name] + 1, last_seen[name] + 1 + len(counts))), (name, counts)

    # The same with ?lastEventId= (for clients that cannot set headers), on one plugin's stream.
    a_events = [e for e in first if e.event == "a"]
    response, one = read_events(server.base + "/events/a?lastEventId=" + a_events[0].id, 3)
    assert response.headers["beacon-resume"] == "resumed"
    assert json.loads(one[0].data)["n"] == json.loads(a_events[0].data)["n"] + 1
    # An id from no one's lifetime resets to the latest result.
    response, reset = read_events(server.base + "/events/a", 1, headers={"Last-Event-ID": "12"})
    assert response.headers["beacon-resume"] == "reset"


def curl(*arguments, max_time=2.0):
    if not shutil.which("curl"):
        pytest.fail("curl is not installed (apt-get install curl)")
    completed = subprocess.run(
        ["curl", "-sS", "-N", "--max-time", str(max_time), *arguments],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=max_time + 10,
    )
    return completed.returncode, completed.stdout


EVENT = re.compile(rb"id: ([0-9]+)\nevent: ([A-Za-z0-9_.-]+)\ndata: ([^\n]*)\n\n")


def split_stream(body: bytes):
    """`retry: N\\n\\n`, then complete events; a stream cut by --max-time may end inside one."""
    match = re.match(rb"retry: ([0-9]+)\n\n", body)
    assert match, body[:200]
    position, events = match.end(), []
    for event in EVENT.finditer(body, position):
        assert event.start() == position, f"unexpected bytes at {position}: {body[position:event.start() + 80]!r}"
        events.append((int(event.group(1)), event.group(2).decode(), json.loads(event.group(3))))
        position = event.end()
    tail = body[position:]
    return int(match.group(1)), events, tail


def test_curl_raw_bytes(plugins, beacon_server):
    write_plugin(plugins, "a", COUNTER)
    write_plugin(plugins, "bad", 'schedule = "0.3s"\nfunction check_status() error("no\\nway", 0) end\n')
    server = beacon_server()

    code, body = curl(server.base + "/events/a", max_time=1.5)
    assert code == 28, (code, body)  # stopped by --max-time: the stream stays open
    retry, events, tail = split_stream(body)
    assert retry == 200
    assert len(events) >= 3, body
    assert all(name == "a" and set(data) == {"n"} for _, name, data in events), events
    assert tail == b"" or (b"\n\n" not in tail and tail.startswith(b"id: ")), tail
    # The whole stream, byte for byte, rebuilt from what was parsed.
    rebuilt = b"retry: 200\n\n" + b"".join(
        b"id: %d\nevent: a\ndata: {\"n\":%d}\n\n" % (i, d["n"]) for i, _, d in events)
    assert body == rebuilt + tail

    # Response head, with -i.
    code, head_and_body = curl("-i", server.base + "/events/a", max_time=1)
    head = head_and_body.split(b"\r\n\r\n", 1)[0].decode().lower()
    assert head.startswith("http/1.1 200"), head
    for header in ("content-type: text/event-stream", "cache-control: no-cache", "x-accel-buffering: no",
                   "beacon-resume: none"):
        assert header in head, head

    # check-error: its own event name, data with plugin/kind/message; the message's newline stays escaped.
    code, body = curl(server.base + "/events/bad", max_time=1.5)
    _, events, _ = split_stream(body)
    assert events, body
    assert events[0][1] == "check-error"
    assert events[0][2] == {"plugin": "bad", "kind": "error", "message": "no\nway"}, events[0]

    # A removed plugin: `done` (no id), then the stream ends before --max-time.
    process = subprocess.Popen(["curl", "-sS", "-N", "--max-time", "10", server.base + "/events/a"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        time.sleep(0.6)
        (plugins / "a.lua").unlink()
        server.reload()
        body, _ = process.communicate(timeout=15)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(5)
    assert process.returncode == 0, (process.returncode, body)
    assert body.endswith(b'event: done\ndata: {"plugin":"a","reason":"removed"}\n\n'), body[-200:]
    _, events, tail = split_stream(body[: -len(b'event: done\ndata: {"plugin":"a","reason":"removed"}\n\n')])
    assert events and tail == b""
    # And it is gone.
    code, body = curl("-o", "/dev/null", "-w", "%{http_code}", server.base + "/events/a")
    assert body == b"404"
