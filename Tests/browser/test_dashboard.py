"""The dashboard at `/` in headless Chromium: cards, errors, connection state, reloads, restarts.

Levels, order, the uptime bar, the detail view and the keyboard: test_dashboard_levels.py."""

from __future__ import annotations

import os
import re
from pathlib import Path

from selenium.webdriver.common.by import By

from conftest import wait_for, write_plugin

ALPHA = """
schedule = "0.3s"
n = 0
function check_status()
  n = n + 1
  return { load = n / 4 + 0.5, count = n, label = "x <b>&amp;</b>", nested = { ok = true } }
end
"""
BETA = """
schedule = "0.3s"
n = 0
function check_status() n = n + 1; return n end
"""
BROKEN = """
schedule = "0.5s"
function check_status() error("kaput <i>&amp;</i> \\"quoted\\"", 0) end
"""
HOSTILE = """
schedule = "0.5s"
function check_status()
  return { ["<img src=x onerror=window.pwned=1>"] = "<script>window.pwned=2</script><img src=x onerror=window.pwned=3>" }
end
"""
OVERRIDE = """
schedule = "0.3s"
n = 0
function check_status() n = n + 1; return { level = n }, "ovr.special" end
"""
SLOW = """
schedule = "1h"
function check_status() return "once" end
"""
NO_SCHEDULE = """
function check_status() return 1 end
"""
GAMMA = """
schedule = "0.3s"
function check_status() return { gamma = "here" } end
"""


def card(browser, key):
    found = browser.find_elements(By.CSS_SELECTOR, f'#cards > li.card[data-plugin="{key}"]')
    return found[0] if found else None


def card_keys(browser):
    return browser.execute_script("return [...document.querySelectorAll('#cards > li.card')].map(c => c.dataset.plugin);")


def connection_state(browser):
    return browser.execute_script("const c = document.getElementById('connection'); return [c.dataset.state, c.textContent];")


def text(browser, selector):
    return browser.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;", selector)


def screenshot(browser, name):
    folder = os.environ.get("BEACON_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        browser.save_screenshot(str(Path(folder) / f"{name}.png"))


def test_dashboard_cards_errors_reload_and_restart(browser, plugins, beacon_server):
    for name, source in {
        "alpha": ALPHA, "beta": BETA, "broken": BROKEN, "hostile": HOSTILE, "ovr": OVERRIDE, "slow": SLOW,
        "nosched": NO_SCHEDULE,
    }.items():
        write_plugin(plugins, name, source)
    server = beacon_server()
    browser.get("about:blank")  # the previous test's page would log its reconnects to a stopped server
    browser.get_log("browser")  # drain what earlier tests left
    browser.get(server.base + "/")
    browser.execute_script("window.pwned = undefined;")

    # The page is self-contained: everything it loaded came from this origin, and its own
    # Content-Security-Policy allows nothing else.
    html = browser.page_source
    assert not re.search(r"https://|//[a-z0-9.-]+\.(?:com|net|org|io)/(?!2000/svg)", html, re.I), "external URL in the page"
    resources = browser.execute_script("return performance.getEntriesByType('resource').map(r => r.name);")
    assert all(r.startswith(server.base + "/") for r in resources), resources
    assert browser.execute_script("return document.documentElement.lang") == "en"
    policy = browser.execute_script(
        "return document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]').content")
    assert "default-src 'none'" in policy and "connect-src 'self'" in policy, policy

    # A card per plugin, with its value; an event name a check returned gets no card of its own.
    all_cards = {"alpha", "beta", "broken", "hostile", "ovr", "slow", "nosched"}
    wait_for(lambda: all_cards == set(card_keys(browser)), 10, "a card per plugin")
    wait_for(lambda: connection_state(browser) == ["live", "live"], 10, "the connection state 'live'")
    wait_for(lambda: text(browser, '[data-plugin="alpha"] dd[data-key="label"]') == "x <b>&amp;</b>", 10, "alpha's label")
    # A nested object is nested rows, not JSON text.
    assert text(browser, '[data-plugin="alpha"] dd[data-key="nested"] > dl.rows > dt') == "ok"
    assert text(browser, '[data-plugin="alpha"] dd[data-key="nested"] > dl.rows > dd[data-key="ok"]') == "true"
    assert "{" not in text(browser, '[data-plugin="alpha"] .value')
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-plugin="alpha"] .value b')
    wait_for(lambda: re.fullmatch(r"[0-9,]+", text(browser, '[data-plugin="beta"] .value .big') or ""), 10,
             "beta's number, shown large")
    wait_for(lambda: text(browser, '[data-plugin="slow"] .value .text') == "once", 10, "slow's string")
    # Results sent under a name the check returned join their plugin's card, with that name,
    # and keep coming live.
    level = lambda: text(browser, '[data-plugin="ovr"] dd[data-key="level"] .v')
    wait_for(level, 10, "the returned event's value on its plugin's card")
    assert text(browser, '[data-plugin="ovr"] .via') == "latest result: event ovr.special"
    first = int(level())
    wait_for(lambda: int(level()) > first, 10, "the returned event's value to go on live")

    # Numeric fields get a chart with a time axis once there is history.
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '[data-plugin="alpha"] dd[data-key="count"] figure.chart polyline'),
             10, "a chart for alpha.count")
    axis = browser.execute_script(
        "return [...document.querySelectorAll('[data-plugin=\"alpha\"] dd[data-key=\"count\"] .axis span')].map(s => s.textContent)")
    assert len(axis) == 2 and all(re.fullmatch(r"\d\d:\d\d(:\d\d)?", t) for t in axis), axis
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, '[data-plugin="beta"] .value figure.chart'), 10, "a chart for beta")
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-plugin="alpha"] dd[data-key="label"] svg')

    # A failing check: red, with its message as text (no markup from the data).
    wait_for(lambda: card(browser, "broken").get_attribute("data-failed") == "true", 10, "broken marked failed")
    error = browser.find_element(By.CSS_SELECTOR, '[data-plugin="broken"] .error')
    assert error.is_displayed()
    assert 'kaput <i>&amp;</i> "quoted"' in error.text
    assert not browser.find_elements(By.CSS_SELECTOR, '[data-plugin="broken"] .error i')
    red, green, blue = (int(x) for x in re.findall(r"\d+", error.value_of_css_property("color"))[:3])
    assert red > 150 and red > green + 60 and red > blue + 60, error.value_of_css_property("color")
    # A plugin that failed to load is listed by /plugins and shown failed too.
    wait_for(lambda: card(browser, "nosched").get_attribute("data-failed") == "true", 10, "nosched marked failed")
    assert "schedule" in browser.find_element(By.CSS_SELECTOR, '[data-plugin="nosched"] .error').text
    # Working plugins are not red.
    assert card(browser, "alpha").get_attribute("data-failed") == "false"

    # Hostile data stays text.
    wait_for(lambda: text(browser, '[data-plugin="hostile"] dd'), 10, "hostile's value")
    assert text(browser, '[data-plugin="hostile"] dt') == "<img src=x onerror=window.pwned=1>"
    assert browser.execute_script("return window.pwned") is None
    assert not browser.find_elements(By.CSS_SELECTOR, "#cards img, #cards script")

    # The age ticks: the hourly plugin ran once, its "updated … ago" keeps moving.
    wait_for(lambda: re.fullmatch(r"[2-9] s ago|1[0-9] s ago", text(browser, '[data-plugin="slow"] time.age') or ""), 6,
             "slow's age to tick past 2 s")
    screenshot(browser, "dashboard-cards")
    problems = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert not problems, problems

    # A reload of the page builds the same cards again.
    browser.refresh()
    wait_for(lambda: all_cards == set(card_keys(browser)), 10, "the cards after a page reload")
    wait_for(lambda: connection_state(browser) == ["live", "live"], 10, "'live' after a page reload")
    wait_for(lambda: card(browser, "broken").get_attribute("data-failed") == "true", 10, "broken failed after a page reload")

    # Reload with a new plugin: a card appears; with a plugin removed: its card goes.
    write_plugin(plugins, "gamma", GAMMA)
    server.reload()
    wait_for(lambda: text(browser, '[data-plugin="gamma"] dd[data-key="gamma"]') == "here", 15, "gamma's card")
    (plugins / "beta.lua").unlink()
    server.reload()
    wait_for(lambda: "beta" not in card_keys(browser), 10, "beta's card to go")
    assert "alpha" in card_keys(browser) and "gamma" in card_keys(browser)

    # Restart on the same port: the page shows the outage, then goes live again on its own.
    port = server.port
    assert server.stop() == 0, server.log()
    wait_for(lambda: connection_state(browser)[0] != "live", 5, "the connection state to leave 'live'")
    assert connection_state(browser)[0] == "reconnecting"
    (plugins / "gamma.lua").unlink()  # the new process starts without gamma
    beacon_server(port=port)
    wait_for(lambda: connection_state(browser) == ["live", "live"], 15, "'live' after the restart")
    before = text(browser, '[data-plugin="alpha"] dd[data-key="count"] .v')
    wait_for(lambda: text(browser, '[data-plugin="alpha"] dd[data-key="count"] .v') != before, 10, "new values after the restart")
    wait_for(lambda: "gamma" not in card_keys(browser), 10, "gamma's card to go (not in /plugins after the restart)")
    assert browser.execute_script("return window.pwned") is None
    screenshot(browser, "dashboard-after-restart")
