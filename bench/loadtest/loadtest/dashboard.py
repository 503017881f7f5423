"""dashboard: the dashboard's first render with many plugins, in headless Chromium.

Writes --plugins plugins (a few numeric fields each; one in 20 `warning`, one in 50 `critical`,
the rest `ok`, on a --schedule) into a temporary folder, starts `beacon serve` on them, waits until
every plugin has a result, then loads `GET /` --loads times in headless Chromium (Debian's
chromium and chromium-driver through selenium, as the browser tests use them) and reads, per load:

- first render: from the navigation's start to the page's `beacon-first-render` mark, set two
  animation frames after every card is in the page (so the first frame with all of them was laid
  out and painted);
- the /plugins read within it (request start to its body's end);
- history requests: how many `/plugins/NAME/history` requests the page made within --settle
  seconds (only cards in view ask for theirs) and the most in flight at once;
- live: over those --settle seconds, while every plugin's results stream in (and each plugin's
  latest result arrives at once as the stream opens), the animation frames and the longest task
  (the browser reports tasks over 50 ms; 0 when there was none).

Prints each load and the median (min-max). The figure depends on the machine and its load (the
tool prints the load average); it is a measurement, never a pass or fail. Needs selenium
(`pip install -r Tests/browser/requirements.txt`; scripts/test-browser installs it with Chromium).
Exit status: 0 when all was measured, 1 when beacon or the browser failed, 2 on setup errors.
"""

import os
import shutil
import statistics
import time
from pathlib import Path

from .options import bounded
from .repo import SetupError, RunError, commit
from .server import start_beacon

PLUGIN = """schedule = "{schedule}"
n = 0
function check_status()
  n = n + 1
  if beacon.status then beacon.status("{level}", "{level} at run " .. n) end
  return {{ latency_ms = 12.5 + n % 7, used_pct = 40 + n % 11, requests = n, host = "{name}.example" }}
end
"""

BEACON_OPTIONS = True  # options after -- go to beacon serve

# Collects what the page did: long tasks, animation frames and history requests in flight.
PROBE = """
window.__probe = { tasks: [], frames: 0, inFlight: 0, maxInFlight: 0, history: 0 };
new PerformanceObserver((list) => { for (const e of list.getEntries())
  window.__probe.tasks.push([e.startTime, e.duration]); }).observe({ type: "longtask", buffered: true });
(function count() { window.__probe.frames++; requestAnimationFrame(count); })();
const plainFetch = window.fetch;
window.fetch = function (url, options) {
  const history = String(url).includes("/history");
  if (!history) return plainFetch.call(this, url, options);
  const p = window.__probe; p.history++; p.inFlight++; p.maxInFlight = Math.max(p.maxInFlight, p.inFlight);
  return plainFetch.call(this, url, options).finally(() => { p.inFlight--; });
};
"""


def add_arguments(parser):
    bounded(parser, "--plugins", 1, 5000, type=int, default=1000, help="how many plugins")
    parser.add_argument("--schedule", default="1s", help="every plugin's schedule (a Beacon duration: 1s, 500ms)")
    bounded(parser, "--loads", 1, 20, type=int, default=5, help="page loads, each in a fresh page")
    bounded(parser, "--settle", 1, 60, type=float, default=5.0, help="seconds watched after each first render")


def level(index):
    return "critical" if index % 50 == 7 else "warning" if index % 20 == 3 else "ok"


def browser():
    os.environ.setdefault("SE_OFFLINE", "true")  # Debian's driver; never download one
    try:
        from selenium import webdriver
        from selenium.webdriver.chrome.service import Service
    except ImportError as error:
        raise SetupError("selenium is not installed: pip install -r Tests/browser/requirements.txt "
                         "(scripts/test-browser installs it and Chromium)") from error
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    if not binary or not driver:
        raise SetupError("chromium or chromedriver is missing: apt-get install chromium chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
                     "--disable-extensions", "--disable-background-networking", "--disable-component-update",
                     "--no-proxy-server", "--window-size=1280,900"):
        options.add_argument(argument)
    options.page_load_strategy = "eager"
    chrome = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    chrome.set_script_timeout(60)
    return chrome


def load(chrome, url, plugins, settle):
    """One page load in a fresh tab: the figures of one row."""
    chrome.switch_to.new_window("tab")
    chrome.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": PROBE})
    chrome.get(url)
    deadline = time.monotonic() + 60
    while chrome.execute_script("return document.body && document.body.dataset.rendered") != str(plugins):
        if time.monotonic() > deadline:
            raise RunError(f"the page did not render {plugins} cards within 60 s")
        time.sleep(0.05)
    first = chrome.execute_script(
        "const m = performance.getEntriesByName('beacon-first-render')[0];"
        "const p = performance.getEntriesByType('resource').find(r => /\\/plugins$/.test(r.name));"
        "return [m.startTime, p ? p.responseEnd - p.requestStart : null, window.__probe.frames];")
    time.sleep(settle)
    probe = chrome.execute_script("return window.__probe")
    # Tasks over 50 ms that started after the first render: handling the live events.
    live_tasks = [duration for start, duration in probe["tasks"] if start >= first[0]]
    cards = chrome.execute_script("return document.querySelectorAll('#cards > li.card').length")
    chrome.close()
    chrome.switch_to.window(chrome.window_handles[0])
    return {"first_render_ms": first[0], "plugins_read_ms": first[1], "cards": cards,
            "history_requests": probe["history"], "max_in_flight": probe["maxInFlight"],
            "frames": probe["frames"] - first[2], "longest_task_ms": max(live_tasks, default=0)}


def spread(values, unit="ms"):
    return f"{statistics.median(values):.0f} {unit} ({min(values):.0f}-{max(values):.0f})"


def run(args):
    files = {f"p{i:04d}.lua": PLUGIN.format(schedule=args.schedule, level=level(i), name=f"p{i:04d}")
             for i in range(args.plugins)}
    server = start_beacon(args, files)
    chrome = None
    try:
        deadline = time.monotonic() + 120
        while sum(1 for p in server.get_json("/plugins") if p.get("last_run_at")) < args.plugins:
            if time.monotonic() > deadline:
                raise RunError("not every plugin ran within 120 s")
            time.sleep(0.5)
        chrome = browser()
        chrome.get(server.url("/healthz"))
        print(f"dashboard: {args.plugins} plugins every {args.schedule}, build {commit()}, "
              f"load average {os.getloadavg()[0]:.2f}", flush=True)
        rows = []
        for number in range(1, args.loads + 1):
            row = load(chrome, server.url("/"), args.plugins, args.settle)
            rows.append(row)
            print(f"load {number}: first render {row['first_render_ms']:.0f} ms (/plugins read "
                  f"{row['plugins_read_ms']:.0f} ms), {row['cards']} cards; in {args.settle:g} s after: "
                  f"{row['history_requests']} history requests, at most {row['max_in_flight']} at once, "
                  f"{row['frames']} frames, longest task {row['longest_task_ms']:.0f} ms", flush=True)
        print(f"first render: {spread([r['first_render_ms'] for r in rows])}; /plugins read "
              f"{spread([r['plugins_read_ms'] for r in rows])}; longest task while live "
              f"{spread([r['longest_task_ms'] for r in rows])}; load average now {os.getloadavg()[0]:.2f}")
        if any(r["cards"] != args.plugins for r in rows):
            raise RunError("a load showed a card count other than the number of plugins")
        return 0
    finally:
        if chrome is not None:
            chrome.quit()
        server.stop()
