"""The dashboard's levels in headless Chromium against a real Beacon: colors and order, the summary
line, a level change moving its card live, nested results as rows with units, the uptime bar of a
known history, the detail view, and the keyboard."""

from __future__ import annotations

import re
import time
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys

from conftest import wait_for, write_plugin


def leveled(level: str | None, schedule: str = "0.3s") -> str:
    call = f'beacon.status("{level}", "it is {level}")' if level else ""
    return f"""
schedule = "{schedule}"
n = 0
function check_status()
  n = n + 1
  {call}
  return {{ n = n }}
end
"""


def from_file(path: Path) -> str:
    """A plugin whose level is whatever the file says, so a test can change it."""
    return f"""
schedule = "0.2s"
function check_status()
  local file = assert(io.open({str(path)!r}, "r"))
  local level = file:read("l")
  file:close()
  beacon.status(level, "read " .. level)
  return {{ level_read = level }}
end
"""


FAILING = """
schedule = "0.3s"
function check_status() error("no route to host", 0) end
"""


def card_keys(browser):
    return browser.execute_script("return [...document.querySelectorAll('#cards > li.card')].map(c => c.dataset.plugin);")


def levels(browser):
    return browser.execute_script(
        "return Object.fromEntries([...document.querySelectorAll('#cards > li.card')].map(c => [c.dataset.plugin, c.dataset.level]));")


def summary(browser):
    return browser.execute_script(
        "const s = document.getElementById('summary'); return [s.dataset.level, s.querySelector('.text').textContent];")


def rgb(css: str) -> tuple[int, int, int]:
    red, green, blue = (int(x) for x in re.findall(r"\d+", css)[:3])
    return red, green, blue


def open_page(browser, server):
    browser.get("about:blank")  # the previous test's page would log its reconnects to a stopped server
    browser.get_log("browser")
    browser.get(server.base + "/")
    browser.execute_script("window.sameDocument = 1;")


def test_levels_color_and_order_cards_and_a_change_moves_its_card(browser, plugins, beacon_server, tmp_path):
    level_file = tmp_path / "mover-level"
    level_file.write_text("ok\n")
    for name, source in {
        "a_ok": leveled("ok"), "b_critical": leveled("critical"), "c_warning": leveled("warning"),
        "d_unknown": leveled("unknown"), "e_none": leveled(None), "f_failing": FAILING, "mover": from_file(level_file),
    }.items():
        write_plugin(plugins, name, source)
    server = beacon_server()
    open_page(browser, server)

    expected = {"a_ok": "ok", "b_critical": "critical", "c_warning": "warning", "d_unknown": "unknown", "e_none": "none",
                "f_failing": "unknown", "mover": "ok"}
    wait_for(lambda: levels(browser) == expected, 15, f"the levels {expected}")
    # Worst first (critical, unknown, warning, ok, no level), then by name.
    assert card_keys(browser) == ["b_critical", "d_unknown", "f_failing", "c_warning", "a_ok", "mover", "e_none"]
    assert summary(browser) == ["critical", "1 critical, 2 unknown, 1 warning"]
    assert browser.find_element(By.CSS_SELECTOR, '[data-plugin="b_critical"] .status-text').text == "it is critical"
    assert browser.find_element(By.CSS_SELECTOR, '[data-plugin="b_critical"] .badge').text.lower() == "critical"
    # The failing check: unknown, with its error's kind and message on the card.
    wait_for(lambda: browser.find_element(By.CSS_SELECTOR, '[data-plugin="f_failing"] .error').text ==
             "error: no route to host", 10, "f_failing's error on its card")

    # Each level has its color: the same for cards of one level, different between levels.
    def stripe(name):
        return rgb(browser.find_element(By.CSS_SELECTOR, f'[data-plugin="{name}"]').value_of_css_property("border-left-color"))

    colors = {name: stripe(name) for name in expected}
    assert colors["a_ok"] == colors["mover"] and colors["d_unknown"] == colors["f_failing"]
    distinct = {colors[n] for n in ("a_ok", "b_critical", "c_warning", "d_unknown", "e_none")}
    assert len(distinct) == 5, colors
    red, green, blue = colors["b_critical"]
    assert red > green + 80 and red > blue + 60, colors["b_critical"]
    red, green, blue = colors["a_ok"]
    assert green > red + 60 and green > blue + 20, colors["a_ok"]
    red, green, blue = colors["c_warning"]
    assert red > blue + 80 and green > blue + 40, colors["c_warning"]
    summary_dot = rgb(browser.execute_script(
        "return getComputedStyle(document.getElementById('summary'), '::before').backgroundColor"))
    assert summary_dot == colors["b_critical"]

    # A level change moves the card and updates the summary, without reloading the page.
    level_file.write_text("critical\n")
    wait_for(lambda: card_keys(browser)[:2] == ["b_critical", "mover"], 10, "mover to move up among the critical")
    assert levels(browser)["mover"] == "critical" and stripe("mover") == colors["b_critical"]
    wait_for(lambda: summary(browser) == ["critical", "2 critical, 2 unknown, 1 warning"], 5, "the summary to count it")
    level_file.write_text("warning\n")
    wait_for(lambda: card_keys(browser) == ["b_critical", "d_unknown", "f_failing", "c_warning", "mover", "a_ok", "e_none"],
             10, "mover among the warnings")
    wait_for(lambda: summary(browser) == ["critical", "1 critical, 2 unknown, 2 warning"], 5, "the summary after it")
    assert browser.execute_script("return window.sameDocument") == 1

    # Once the problems go, all is well.
    for name in ("b_critical", "c_warning", "d_unknown", "f_failing"):
        (plugins / f"{name}.lua").unlink()
    level_file.write_text("ok\n")
    server.reload()
    wait_for(lambda: summary(browser) == ["ok", "All systems operational"], 15, "'All systems operational'")
    assert card_keys(browser) == ["a_ok", "mover", "e_none"]
    assert browser.execute_script("return window.sameDocument") == 1
    problems = [entry for entry in browser.get_log("browser") if entry["level"] in ("SEVERE", "WARNING")]
    assert not problems, problems


NESTED = """
schedule = "0.3s"
n = 0
function check_status()
  n = n + 1
  return {
    mounts = {
      ["/"] = { used_pct = 93, size_gib = 252.5, level = "crit" },
      ["/home"] = { used_pct = 41.25, size_gib = 1024, level = "ok" },
    },
    disks = { { name = "sda", read_bytes = 123456789 }, { name = "sdb", read_bytes = 2048 } },
    latency_ms = 1234.5,
    total_mib = 23975,
    count = 1234567 + n,
    note = string.rep("long-value-without-spaces-", 20),
  }
end
"""


def test_nested_results_are_rows_with_units_and_long_values_wrap(browser, plugins, beacon_server):
    write_plugin(plugins, "disks", NESTED)
    server = beacon_server()
    open_page(browser, server)

    def value(path):
        return browser.execute_script(
            "const e = document.querySelector(`[data-plugin='disks'] dd[data-path='${arguments[0]}'] > .v`);"
            "return e ? e.textContent : null;", path)

    wait_for(lambda: value("mounts./.used_pct"), 10, "the nested rows of a mount")
    # One row per mount, its fields as rows inside it; arrays of named items labelled by name.
    assert browser.execute_script(
        "return [...document.querySelectorAll(`[data-plugin='disks'] dd[data-key='mounts'] > dl > dt`)].map(e => e.textContent)"
    ) == ["/", "/home"]
    assert browser.execute_script(
        "return [...document.querySelectorAll(`[data-plugin='disks'] dd[data-key='disks'] > dl > dt`)].map(e => e.textContent)"
    ) == ["sda", "sdb"]
    assert value("mounts./.level") == "crit"
    # Units from the key, numbers formatted.
    assert value("mounts./.used_pct") == "93%"
    assert value("mounts./home.used_pct") == "41.3%"
    assert value("mounts./.size_gib") == "253 GiB"
    assert value("mounts./home.size_gib") == "1 TiB"
    assert value("disks.0.read_bytes") == "118 MiB"
    assert value("disks.1.read_bytes") == "2 KiB"
    assert value("latency_ms") == "1.23 s"
    assert value("total_mib") == "23.4 GiB"
    assert re.fullmatch(r"1,234,\d{3}", value("count"))
    box = browser.execute_script("return document.querySelector(`[data-plugin='disks'] .value`).textContent")
    assert "{" not in box and "[" not in box and '"' not in box, box
    # The long value wraps inside the card instead of widening it.
    card = browser.find_element(By.CSS_SELECTOR, '[data-plugin="disks"]')
    assert browser.execute_script("return arguments[0].scrollWidth <= arguments[0].clientWidth", card)
    height = browser.execute_script(
        "return document.querySelector(`[data-plugin='disks'] dd[data-key='note']`).getBoundingClientRect().height")
    assert height > 40, height  # several lines
    # Nested numbers get their charts too.
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-plugin='disks'] dd[data-path='count'] figure.chart"),
             10, "a chart for count")


def test_detail_view_and_keyboard(browser, plugins, beacon_server):
    names = [f"p{i:02d}" for i in range(14)]
    for i, name in enumerate(names):
        write_plugin(plugins, name, leveled(("ok", "warning", "critical")[i % 3]))
    write_plugin(plugins, "zz_failing", FAILING)
    server = beacon_server()
    open_page(browser, server)
    wait_for(lambda: len(card_keys(browser)) == 15 and "none" not in levels(browser).values(), 15, "15 cards with levels")
    order = card_keys(browser)

    # Landmarks and labels for screen readers.
    assert browser.find_elements(By.CSS_SELECTOR, "header.top") and browser.find_elements(By.CSS_SELECTOR, "main")
    assert browser.find_element(By.ID, "cards").accessible_name == "Plugins, worst level first"
    first = browser.find_element(By.CSS_SELECTOR, f'[data-plugin="{order[0]}"] button.open')
    assert first.accessible_name == order[0]
    described = browser.execute_script(
        "return arguments[0].getAttribute('aria-describedby').split(' ').map(id => document.getElementById(id).textContent)",
        first)
    assert described[0] == "critical" and described[1] == "it is critical", described

    # Tab reaches every card, in the order shown.
    browser.find_element(By.TAG_NAME, "body").click()
    browser.execute_script("document.activeElement.blur(); window.scrollTo(0, 0);")
    reached = []
    for _ in range(len(order) + 12):
        browser.switch_to.active_element.send_keys(Keys.TAB)
        name = browser.execute_script(
            "const c = document.activeElement.closest('li.card'); return c ? c.dataset.plugin : null;")
        if name and name not in reached:
            reached.append(name)
        if len(reached) == len(order):
            break
    assert reached == order

    # Enter on a card opens its detail; Escape closes it and gives the focus back.
    target = next(n for n in order if levels(browser)[n] == "warning")
    button = browser.find_element(By.CSS_SELECTOR, f'[data-plugin="{target}"] button.open')
    button.send_keys(Keys.ENTER)
    wait_for(lambda: browser.execute_script("return document.getElementById('detail').open"), 5, "the detail to open")
    assert browser.find_element(By.ID, "detail-title").text == target
    assert browser.find_element(By.ID, "detail-level").text.lower() == "warning"

    def sections():
        return browser.execute_script("return [...document.querySelectorAll('#detail-body h3')].map(h => h.textContent)")

    wait_for(lambda: sections() == ["Uptime", "Latest result", "Charts", "Plugin", "Last events"], 10,
             "the detail's sections")
    facts = browser.execute_script(
        "const dts = [...document.querySelectorAll('#detail-body section:nth-last-of-type(2) dl > dt')];"
        "return Object.fromEntries(dts.map(dt => [dt.textContent, dt.nextElementSibling.textContent]));")
    assert facts["schedule"] == "every 300 ms" and facts["last error"] == "none", facts
    assert re.fullmatch(r"\d[\d,]*", facts["runs"]) and "last run took" in facts, facts
    assert browser.find_elements(By.CSS_SELECTOR, "#detail-body .charts figure.chart.large polyline")
    wait_for(lambda: len(browser.find_elements(By.CSS_SELECTOR, "#detail-body table tbody tr")) >= 3, 10, "the last events")
    row = browser.execute_script(
        "return [...document.querySelector('#detail-body table tbody tr').cells].map(c => c.textContent)")
    assert row[1] == target and row[2] == "warning" and row[3].startswith("n "), row
    browser.switch_to.active_element.send_keys(Keys.ESCAPE)
    wait_for(lambda: not browser.execute_script("return document.getElementById('detail').open"), 5, "the detail to close")
    assert browser.execute_script("return document.activeElement.closest('li.card').dataset.plugin") == target

    # A click opens the failing plugin's detail, with its last error.
    browser.find_element(By.CSS_SELECTOR, '[data-plugin="zz_failing"] .value').click()
    wait_for(lambda: browser.find_element(By.ID, "detail-title").text == "zz_failing", 5, "zz_failing's detail")
    wait_for(lambda: browser.execute_script("return document.querySelector('#detail-body .error').textContent") ==
             "error: no route to host", 5, "the last error in the detail")
    browser.find_element(By.ID, "detail-close").click()
    wait_for(lambda: not browser.execute_script("return document.getElementById('detail').open"), 5, "the detail to close")


def test_uptime_bar_of_a_known_history(browser, plugins, beacon_server, tmp_path):
    """A store holding a known day of one plugin's levels: the bar's 48 half-hour slots each show the
    worst level held during them, and the share of the time at `ok`."""
    import json
    import sqlite3

    store = tmp_path / "beacon.db"
    options = ("--retry-ms", "200", "--store", f"sqlite:{store}")
    beacon_server(extra=options).stop()  # creates the store, with no plugin and no event
    now = time.time()
    start = now - 86400
    slot = 1800.0

    def mid(index, fraction=0.5):  # a time inside slot `index` of the bar as the page will draw it
        return start + (index + fraction) * slot

    known = [  # (time, event, level): what the store says happened, oldest first
        (now - 30 * 3600, "known", "ok"),  # before the bar: the level it starts with
        (mid(10), "known", "warning"), (mid(11), "known", "ok"),
        (mid(20, 0.3), "known", "critical"), (mid(20, 0.4), "known", "ok"),
        (mid(30), "check-error", "unknown"), (mid(32), "known", "ok"),
        (mid(40), "known", None), (mid(41), "known", "ok"),
    ]
    database = sqlite3.connect(store)
    database.execute("INSERT INTO stream(id, name) VALUES (1, 'known')")
    for number, (at, event, level) in enumerate(known):
        data = {"plugin": "known", "kind": "error", "message": "down"} if event == "check-error" else {"n": number}
        database.execute(
            "INSERT INTO event(id, stream_id, name, data, time, status) VALUES (?, 1, ?, ?, ?, ?)",
            (int(at * 1000) * 1000 + number, None if event == "known" else event, json.dumps(data), int(at * 1000), level))
    database.commit()
    database.close()
    write_plugin(plugins, "known", leveled("ok", schedule="1h"))
    server = beacon_server(extra=options)
    open_page(browser, server)

    def slots():
        return browser.execute_script(
            "return [...document.querySelectorAll('[data-plugin=\"known\"] figure.uptime rect.slot')].map(r => r.dataset.level)")

    expected = (["ok"] * 10 + ["warning"] * 2 + ["ok"] * 8 + ["critical"] + ["ok"] * 9 + ["unknown"] * 3 + ["ok"] * 15)
    assert len(expected) == 48
    wait_for(lambda: slots() == expected, 15, f"the slots {expected}")
    caption, label = browser.execute_script(
        "const f = document.querySelector('[data-plugin=\"known\"] figure.uptime');"
        "return [[...f.querySelectorAll('figcaption span')].map(s => s.textContent), f.querySelector('svg').getAttribute('aria-label')];")
    # ok all day but 0.5 h warning, 3 min critical and 1 h unknown, of 23.5 h with a level.
    assert caption == ["last 24 h", "93.4% ok"], caption
    assert label == "Uptime over the last 24 h: 93.4% ok; slots: 1 critical, 3 unknown, 2 warning, 42 ok", label
    # The same history in the detail's larger bar, each slot with its time and level.
    browser.find_element(By.CSS_SELECTOR, '[data-plugin="known"] button.open').click()
    wait_for(lambda: browser.execute_script(
        "return [...document.querySelectorAll('#detail-body figure.uptime rect.slot')].map(r => r.dataset.level)") == expected,
        10, "the detail's bar")
    title = browser.execute_script("return document.querySelectorAll('#detail-body rect.slot title')[20].textContent")
    assert title.endswith(": critical"), title
    browser.find_element(By.ID, "detail-close").click()


def test_follows_the_color_scheme(browser, plugins, beacon_server):
    write_plugin(plugins, "crit", leveled("critical"))
    server = beacon_server()
    open_page(browser, server)
    wait_for(lambda: levels(browser) == {"crit": "critical"}, 10, "crit's level")

    def colors():
        return browser.execute_script(
            "const c = document.querySelector('[data-plugin=\"crit\"]');"
            "return [getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(c).backgroundColor,"
            " getComputedStyle(c).borderLeftColor];")

    try:
        for scheme in ("light", "dark"):
            # Reduced motion: no border-color transition, so the colors read are the final ones
            # (a card that just took its level would otherwise be read mid-way from grey to red).
            browser.execute_cdp_cmd("Emulation.setEmulatedMedia",
                                    {"features": [{"name": "prefers-color-scheme", "value": scheme},
                                                  {"name": "prefers-reduced-motion", "value": "reduce"}]})
            page, card, stripe = (rgb(c) for c in colors())
            brightness = sum(page) / 3
            assert (brightness > 200) if scheme == "light" else (brightness < 60), (scheme, page)
            assert (sum(card) / 3 > 200) if scheme == "light" else (sum(card) / 3 < 60), (scheme, card)
            assert stripe[0] > stripe[1] + 60, (scheme, stripe)  # critical stays red
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


LATE = """
schedule = "1h"
function check_status()
  beacon.sleep(4)   -- the first result comes once the page has drawn this card without one
  beacon.status("ok", "late")
  return { n = 1 }
end
"""


def test_a_card_out_of_view_is_drawn_when_it_comes_into_view(browser, plugins, beacon_server):
    for i in range(59):
        write_plugin(plugins, f"q{i:02d}", leveled("ok"))
    write_plugin(plugins, "zz_late", LATE)  # the last card, far out of view
    server = beacon_server()
    open_page(browser, server)
    browser.execute_script("window.scrollTo(0, 0)")

    def value_type():
        return browser.execute_script("return document.querySelector('[data-plugin=\"zz_late\"] .value').dataset.type")

    # Drawn once while out of view, without a result yet.
    wait_for(lambda: value_type() == "undefined", 4, "zz_late drawn out of view with no result")
    wait_for(lambda: next(p for p in server_plugins(server) if p["name"] == "zz_late")["runs"] == 1, 10, "zz_late's run")
    time.sleep(0.5)
    assert browser.execute_script(
        "return document.querySelector('[data-plugin=\"zz_late\"]').getBoundingClientRect().top > innerHeight + 400")
    assert value_type() == "undefined"  # its result came while out of view: not drawn yet
    browser.execute_script("document.querySelector('[data-plugin=\"zz_late\"]').scrollIntoView()")
    wait_for(lambda: browser.execute_script(
        "const v = document.querySelector(`[data-plugin='zz_late'] dd[data-key='n'] .v`); return v && v.textContent") == "1",
        5, "zz_late's result once in view")
    wait_for(lambda: browser.find_elements(By.CSS_SELECTOR, "[data-plugin='zz_late'] figure.uptime rect.slot"), 10,
             "zz_late's bar, from its history")


def server_plugins(server):
    import json
    import urllib.request
    with urllib.request.urlopen(server.base + "/plugins", timeout=5) as response:
        return json.load(response)
