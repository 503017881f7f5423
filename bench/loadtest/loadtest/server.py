"""Server processes the tools start: Beacon with its JSON log read as it comes, and any other child."""

import http.client
import json
import os
import re
import signal
import subprocess
import threading
import time

from .repo import HOST, RunError, SetupError, binary


def spawn(command, log_path, cpu=None, environment=None):
    """Starts `command` with its output appended to `log_path`, pinned to `cpu` unless None."""
    if cpu is not None:
        command = ["taskset", "-c", str(cpu), *command]
    with open(log_path, "ab") as log:
        return subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                env=environment)


def terminate(process, timeout=20.0):
    """SIGTERM, then SIGKILL after `timeout` seconds; returns the exit status, or None if it had to be killed."""
    if process.poll() is not None:
        return process.returncode
    process.terminate()
    try:
        return process.wait(timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(10)
        return None


class BeaconServer:
    """`beacon serve` on loopback with `--log-format json`; each log line is kept with the monotonic
    time it arrived, and copied to `log_path`."""

    def __init__(self, binary, plugins, log_path, extra=(), port=0, cpu=None, environment=None):
        self.binary, self.plugins, self.log_path = binary, plugins, log_path
        self.extra, self.cpu, self.environment = list(extra), cpu, environment
        self.lines = []  # (arrival, parsed line)
        self.changed = threading.Condition()
        self.process = None
        self.port = None
        self.start(port)

    @property
    def pid(self):
        return self.process.pid

    def start(self, port=0, timeout=60.0):
        """Starts the process (again, after `stop`) and waits until it listens; `port` 0 picks a free one."""
        command = [self.binary, "serve", "--plugins", self.plugins, "--host", HOST, "--port", str(port),
                   "--log-format", "json", *self.extra]
        if self.cpu is not None:
            command = ["taskset", "-c", str(self.cpu), *command]
        self.launched = time.monotonic()
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                        stdin=subprocess.DEVNULL, env=self.environment)
        threading.Thread(target=self._read, args=(self.process,), daemon=True).start()
        try:
            _, line = self.wait_for(r"^listening on ", after=self.launched, timeout=timeout)
        except RunError as error:
            self.stop()
            raise SetupError(f"beacon did not start: {error}") from error
        self.port = int(re.search(r":(\d+)$", line["message"]).group(1))

    def _read(self, process):
        with open(self.log_path, "a", errors="replace") as log:
            for raw in process.stderr:
                arrival = time.monotonic()
                text = raw.decode(errors="replace")
                log.write(text)
                try:
                    line = json.loads(text)
                except ValueError:
                    line = {"message": text.strip()}
                with self.changed:
                    self.lines.append((arrival, line))
                    self.changed.notify_all()
        with self.changed:
            self.changed.notify_all()

    def wait_for(self, pattern, after=0.0, timeout=60.0):
        """The first log line that arrived after `after` whose message matches `pattern`: (arrival, line)."""
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.changed:
            while True:
                for arrival, line in self.lines:
                    if arrival >= after and regex.search(line.get("message", "")):
                        return arrival, line
                left = deadline - time.monotonic()
                if left <= 0 or self.process.poll() is not None:
                    raise RunError(f"beacon logged no line matching {pattern!r} within {timeout:.0f} s; "
                                     f"see {self.log_path}")
                self.changed.wait(min(left, 0.5))

    def count(self, pattern):
        """How many log lines so far match `pattern`."""
        regex = re.compile(pattern)
        with self.changed:
            return sum(1 for _, line in self.lines if regex.search(line.get("message", "")))

    def alive(self):
        return self.process.poll() is None

    def signal(self, number=signal.SIGHUP):
        os.kill(self.process.pid, number)

    def stop(self, timeout=20.0):
        """SIGTERM, and SIGKILL after `timeout`; returns the exit status, or None if it had to be killed."""
        return terminate(self.process, timeout)

    def url(self, path):
        return f"http://{HOST}:{self.port}{path}"

    def get(self, path, timeout=15.0):
        """The body of GET `path`; raises RunError unless the status is 200."""
        connection = http.client.HTTPConnection(HOST, self.port, timeout=timeout)
        try:
            connection.request("GET", path)
            response = connection.getresponse()
            body = response.read()
        except OSError as error:
            raise RunError(f"GET {path}: {error}; see {self.log_path}") from error
        finally:
            connection.close()
        if response.status != 200:
            raise RunError(f"GET {path}: status {response.status}; see {self.log_path}")
        return body

    def get_json(self, path):
        return json.loads(self.get(path))

    def metric(self, name):
        """The sum of a Prometheus metric's samples on /metrics (0 when it has none)."""
        return metric_sum(self.get("/metrics").decode(), name)


def start_beacon(args, plugin_files, extra=()):
    """Writes `plugin_files` ({file name: Lua text}) into the folder `plugins` of the run's work folder and
    starts the tool's beacon binary on it, with `extra` and then the user's options after --."""
    folder = os.path.join(args.work, "plugins")
    os.makedirs(folder, exist_ok=True)
    for name, text in plugin_files.items():
        with open(os.path.join(folder, name), "w") as plugin:
            plugin.write(text)
    return BeaconServer(binary("beacon", args), folder, os.path.join(args.work, "beacon.log"), [*extra, *args.extra])


def metric_sum(text, name):
    """The sum of the samples of metric `name` (every label set) in a Prometheus text exposition."""
    total = 0.0
    for line in text.splitlines():
        if line.startswith(name) and line[len(name):len(name) + 1] in ("{", " "):
            total += float(line.split()[-1])
    return total
