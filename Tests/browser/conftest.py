"""Fixtures for Beacon's browser and client tests.

`beacon_server` starts the real binary (`BEACON_BIN`, default `.build/debug/beacon`) on
127.0.0.1 with `--port 0`, reads the bound port from its log, and stops it with SIGTERM.
`browser` is one headless Chromium (selenium + chromium-driver) for the whole session.
Every wait here is bounded; nothing talks to anything but 127.0.0.1.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path
from typing import Callable, Optional

import pytest

# scripts/test-browser bounds the whole run with `timeout`, which sends SIGTERM: turn it into
# KeyboardInterrupt so fixtures still stop their beacon processes and the browser.
def _interrupt(signum, frame):
    raise KeyboardInterrupt(f"signal {signum}")


signal.signal(signal.SIGTERM, _interrupt)

ROOT = Path(__file__).resolve().parents[2]
PAGES = Path(__file__).resolve().parent / "pages"
LISTENING = re.compile(r"listening on http://127\.0\.0\.1:(\d+)")


def beacon_binary() -> Path:
    path = Path(os.environ.get("BEACON_BIN", ".build/debug/beacon"))
    if not path.is_absolute():
        path = ROOT / path
    return path


def wait_for(predicate: Callable[[], object], timeout: float, what: str, interval: float = 0.05):
    """Polls `predicate` until it returns something truthy; fails the test after `timeout` s."""
    deadline = time.monotonic() + timeout
    last_error: Optional[BaseException] = None
    while True:
        try:
            value = predicate()
            if value:
                return value
        except Exception as error:  # a transient failure (e.g. a stale element) counts as "not yet"
            last_error = error
        if time.monotonic() >= deadline:
            detail = f" (last error: {last_error!r})" if last_error else ""
            raise AssertionError(f"timed out after {timeout} s waiting for {what}{detail}")
        time.sleep(interval)


# A plugin that counts its runs five times a second, for tests that need a steady stream.
COUNTER = """
schedule = "0.2s"
n = 0
function check_status()
  n = n + 1
  return { n = n }
end
"""


def write_plugin(folder: Path, name: str, source: str) -> Path:
    path = folder / f"{name}.lua"
    path.write_text(source, encoding="utf-8")
    return path


class BeaconProcess:
    """One running `beacon serve`; its stderr is collected by a thread (never blocks the pipe)."""

    def __init__(self, plugins: Path, port: int = 0, extra: tuple[str, ...] = ()):
        binary = beacon_binary()
        if not binary.exists():
            raise RuntimeError(f"beacon binary not found at {binary}; build it or set BEACON_BIN")
        self.args = [
            str(binary), "serve", "--plugins", str(plugins), "--host", "127.0.0.1", "--port", str(port), *extra,
        ]
        self.lines: list[str] = []
        self._lock = threading.Lock()
        self.process = subprocess.Popen(
            self.args, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            text=True, errors="replace",
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()
        try:
            found = wait_for(self._port_line, 20, "the 'listening on' log line")
        except AssertionError:
            self.stop()
            raise AssertionError(f"beacon did not start: {self.args}\n{self.log()}")
        self.port = int(found)
        self.base = f"http://127.0.0.1:{self.port}"

    def _read(self):
        assert self.process.stderr is not None
        for line in self.process.stderr:
            with self._lock:
                self.lines.append(line.rstrip("\n"))

    def _port_line(self):
        if self.process.poll() is not None:
            raise AssertionError(f"beacon exited with {self.process.returncode}:\n{self.log()}")
        with self._lock:
            for line in self.lines:
                match = LISTENING.search(line)
                if match and match.group(1) != "0":
                    return match.group(1)
        return None

    def log(self) -> str:
        with self._lock:
            return "\n".join(self.lines)

    def wait_log(self, pattern: str, timeout: float = 10.0) -> str:
        regex = re.compile(pattern)

        def found():
            with self._lock:
                return next((line for line in self.lines if regex.search(line)), None)

        return wait_for(found, timeout, f"a log line matching {pattern!r}")

    def reload(self):
        self.process.send_signal(signal.SIGHUP)

    def stop(self, timeout: float = 15.0) -> Optional[int]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(2)
        return self.process.returncode


@pytest.fixture
def plugins(tmp_path: Path) -> Path:
    folder = tmp_path / "plugins"
    folder.mkdir()
    return folder


@pytest.fixture
def beacon_server(plugins: Path):
    """A factory: `beacon_server(port=0, extra=(...))`; every server started is stopped after the test."""
    started: list[BeaconProcess] = []

    def start(port: int = 0, extra: tuple[str, ...] = ("--retry-ms", "200")) -> BeaconProcess:
        server = BeaconProcess(plugins, port=port, extra=extra)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def _chromium_paths() -> tuple[Optional[str], Optional[str]]:
    binary = next((shutil.which(n) for n in ("chromium", "chromium-browser", "google-chrome") if shutil.which(n)), None)
    driver = shutil.which("chromedriver") or ("/usr/bin/chromedriver" if Path("/usr/bin/chromedriver").exists() else None)
    return binary, driver


@pytest.fixture(scope="session")
def browser():
    """Headless Chromium via chromium-driver. Never downloads a browser or driver (offline Selenium Manager)."""
    os.environ.setdefault("SE_OFFLINE", "true")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    binary, driver_path = _chromium_paths()
    if not binary or not driver_path:
        pytest.fail(f"chromium ({binary}) or chromedriver ({driver_path}) not installed: run scripts/test-browser")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for argument in (
        "--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu", "--no-first-run",
        "--disable-extensions", "--disable-background-networking", "--disable-component-update",
        "--disable-default-apps", "--disable-sync", "--metrics-recording-only", "--no-proxy-server",
        "--window-size=1280,900",
    ):
        options.add_argument(argument)
    options.page_load_strategy = "eager"
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(executable_path=driver_path))
    driver.set_page_load_timeout(20)
    driver.set_script_timeout(20)
    yield driver
    driver.quit()


def collector_script() -> str:
    return (PAGES / "collector.js").read_text(encoding="utf-8")
