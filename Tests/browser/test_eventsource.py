"""A real browser's EventSource against Beacon: named events, ids, reconnection, data framing."""

from __future__ import annotations

import json
import re

import pytest

from conftest import COUNTER, collector_script, wait_for, write_plugin



def open_bare_page(browser, server):
    """A page of the server's origin with no script of its own: the collector runs in it."""
    browser.get(server.base + "/healthz")
    browser.execute_script("window.events = []; window.sseLog = []; window.sources = [];")


def collect(browser, url, names):
    browser.execute_script(collector_script(), url, names)


def events(browser):
    return browser.execute_script("return window.events.slice();")


def close_sources(browser):
    browser.execute_script("for (const s of window.sources || []) s.close();")


def test_named_events_with_ids_and_reconnect_after_restart(browser, plugins, beacon_server):
    write_plugin(plugins, "tick", COUNTER)
    first = beacon_server(extra=("--retry-ms", "200", "--log-level", "debug"))
    open_bare_page(browser, first)
    collect(browser, "/events/tick", ["tick", "done", "check-error"])

    def ticks():
        return [e for e in events(browser) if e["type"] == "tick"]

    wait_for(lambda: len(ticks()) >= 3, 10, "three tick events")
    got = ticks()[:3]
    for event in got:
        assert re.fullmatch(r"[0-9]+", event["lastEventId"]), event
        assert set(json.loads(event["data"])) == {"n"}
    ids = [int(e["lastEventId"]) for e in got]
    assert ids == sorted(ids) and len(set(ids)) == 3, ids
    counts = [json.loads(e["data"])["n"] for e in got]
    assert counts == list(range(counts[0], counts[0] + 3)), counts
    assert not [e for e in events(browser) if e["type"] == "message"], "an event arrived without its name"
    log = browser.execute_script("return window.sseLog;")
    assert log and log[0]["what"] == "open" and log[0]["readyState"] == 1, log

    # Kill the server; the browser sees `done` (shutdown) and then the connection drop.
    last_before = events(browser)[-1]
    assert first.stop() == 0, first.log()
    wait_for(lambda: any(e["type"] == "done" for e in events(browser)), 5, "done on shutdown")
    done = next(e for e in events(browser) if e["type"] == "done")
    assert json.loads(done["data"]) == {"plugin": "tick", "reason": "shutdown"}
    wait_for(lambda: any(x["what"] == "error" for x in browser.execute_script("return window.sseLog;")), 5,
             "the browser noticing the dropped connection")
    seen_before_restart = len(events(browser))

    # Same port, new process: the browser reconnects by itself (retry: 200) with Last-Event-ID.
    second = beacon_server(port=first.port, extra=("--retry-ms", "200", "--log-level", "debug"))
    assert second.port == first.port
    wait_for(lambda: len([e for e in events(browser)[seen_before_restart:] if e["type"] == "tick"]) >= 2, 15,
             "tick events after the restart")
    after = [e for e in events(browser)[seen_before_restart:] if e["type"] == "tick"]
    # The new process's ids are new (a restart resets the counter base) and still decimal.
    for event in after:
        assert re.fullmatch(r"[0-9]+", event["lastEventId"]), event
    assert int(after[0]["lastEventId"]) != int(last_before["lastEventId"])
    # The browser did send Last-Event-ID: an id from before the restart is answered with `reset`
    # (with no id at all it would be `none`).
    line = second.wait_log(r"subscriber attached", 5)
    assert re.search(r"resume[=:\s\"]+reset", line), line
    opens = [x for x in browser.execute_script("return window.sseLog;") if x["what"] == "open"]
    assert len(opens) >= 2, opens
    close_sources(browser)


def test_resume_after_connection_drop_gets_only_missed_events(browser, plugins, beacon_server):
    """A stream that ends (plugin removed) and a fresh EventSource given ?lastEventId= resumes exactly."""
    write_plugin(plugins, "tick", COUNTER)
    server = beacon_server()
    open_bare_page(browser, server)
    collect(browser, "/events?plugin=tick", ["tick"])
    wait_for(lambda: len(events(browser)) >= 3, 10, "three events")
    close_sources(browser)
    seen = events(browser)
    last = seen[-1]
    # Let the plugin publish a few more while no one listens.
    wait_for(lambda: json.loads(fetch_json(browser, "/plugins/tick"))["runs"] >= json.loads(last["data"])["n"] + 3,
             10, "three more runs")
    browser.execute_script("window.events = [];")
    collect(browser, "/events?plugin=tick&lastEventId=" + last["lastEventId"], ["tick"])
    wait_for(lambda: len(events(browser)) >= 3, 10, "resumed events")
    resumed = events(browser)
    counts = [json.loads(e["data"])["n"] for e in resumed]
    assert counts[0] == json.loads(last["data"])["n"] + 1, (last, counts)
    assert counts == list(range(counts[0], counts[0] + len(counts))), counts
    close_sources(browser)


def fetch_json(browser, path):
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {cache: 'no-store'}).then(r => r.text()).then(done, e => done('ERR ' + e));",
        path,
    )


TRICKY = {
    # The case: every kind of line break, and a lone ':' at the start of a line (an SSE comment
    # if it ever reached the start of a line on the wire).
    "newlines": (
        r'"one\ntwo\r\nthree\rfour\n:five\n:\r\n\r\n:\n\nlast:\r"',
        "one\ntwo\r\nthree\rfour\n:five\n:\r\n\r\n:\n\nlast:\r",
    ),
    "specials": (
        r'"tab\tquote\"back\\slash \u{2028}\u{2029} \u{1F600} nul\0 esc\27 del\127 data: id: event: retry: 5"',
        "tab\tquote\"back\\slash \u2028\u2029 \U0001F600 nul\x00 esc\x1b del\x7f data: id: event: retry: 5",
    ),
}


@pytest.mark.parametrize("case", sorted(TRICKY))
def test_string_data_survives_the_browser_parser(browser, plugins, beacon_server, case):
    lua_literal, expected = TRICKY[case]
    write_plugin(plugins, "tricky", f'schedule = "1s"\nfunction check_status() return {lua_literal} end\n')
    write_plugin(plugins, "tricky_obj", f'schedule = "1s"\nfunction check_status() return {{ [{lua_literal}] = {lua_literal} }} end\n')
    server = beacon_server()
    open_bare_page(browser, server)
    collect(browser, "/events", ["tricky", "tricky_obj"])
    wait_for(lambda: {e["type"] for e in events(browser)} >= {"tricky", "tricky_obj"}, 10, "both events")
    got = {e["type"]: e for e in events(browser)}
    parsed = browser.execute_script("return JSON.parse(arguments[0]);", got["tricky"]["data"])
    assert parsed == expected
    # Check in the browser too, where JSON.parse is the browser's own.
    assert browser.execute_script("return JSON.parse(arguments[0]) === arguments[1];", got["tricky"]["data"], expected)
    assert browser.execute_script(
        "const o = JSON.parse(arguments[0]); const k = Object.keys(o);"
        "return k.length === 1 && k[0] === arguments[1] && o[arguments[1]] === arguments[1];",
        got["tricky_obj"]["data"], expected)
    close_sources(browser)
