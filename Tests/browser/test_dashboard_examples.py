"""The example plugins on the dashboard: every one gets a card with its result as rows, and a
level when it calls beacon.status. With BEACON_SCREENSHOTS=DIR it saves DIR/dashboard.png, the picture in the README."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path

from conftest import ROOT, wait_for


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_example_plugins(browser, plugins, beacon_server):
    # The examples check the server they run in at 127.0.0.1:8080; here it listens on a free port.
    port = free_port()
    examples = ROOT / "examples" / "plugins"
    shutil.copytree(examples / "lib", plugins / "lib")
    for script in examples.glob("*.lua"):
        text = script.read_text().replace("127.0.0.1:8080", f"127.0.0.1:{port}").replace("port = 8080", f"port = {port}")
        (plugins / script.name).write_text(text)
    server = beacon_server(port=port)
    browser.get("about:blank")  # the previous test's page would log its reconnects to a stopped server
    browser.get_log("browser")
    browser.set_window_size(1280, 820)
    browser.get(server.base + "/")
    names = sorted(script.stem for script in examples.glob("*.lua"))
    leveled = sorted(script.stem for script in examples.glob("*.lua") if "beacon.status(" in script.read_text())
    assert leveled, "no example plugin calls beacon.status"

    def shown(level):
        return browser.execute_script(
            "return [...document.querySelectorAll('#cards > li.card')].filter(c => c.querySelector('.value dl, .value .big')"
            " && (!arguments[0] || c.dataset.level !== 'none')).map(c => c.dataset.plugin).sort()", level)

    try:
        # Some examples run programs (df, getent): on a busy machine their first result takes a while.
        wait_for(lambda: shown(False) == names, 30, f"a card with rows for each of {names}")
        wait_for(lambda: set(leveled) <= set(shown(True)), 10, f"a level on the cards of {leveled}")
    except AssertionError as error:
        raise AssertionError(f"{error}\nwith rows: {shown(False)}; with a level: {shown(True)}\n{server.log()}") from None
    assert not browser.execute_script(
        "return [...document.querySelectorAll('#cards .value')].some(v => v.textContent.includes('{\"'))")
    folder = os.environ.get("BEACON_SCREENSHOTS")
    if folder:
        # Let the bars and charts gather a few points first.
        wait_for(lambda: len(browser.find_elements("css selector", "#cards figure.chart")) >= 6, 30, "a few charts")
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / "dashboard.png"))
    browser.set_window_size(1280, 900)
    problems = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert not problems, problems
