"""Running `beacon-bench`, the SwiftNIO load generator, and reading its report."""

import json
import subprocess

from .repo import HOST


def read_report(stdout):
    """The JSON object of beacon-bench's last JSON line, or None when it printed none."""
    for line in reversed(stdout.splitlines()):
        if line.startswith("{"):
            try:
                return json.loads(line)
            except ValueError:
                return None
    return None


class Load:
    """One `beacon-bench load` run; `report` is its JSON report, or None after a failure
    (`errors` then says what beacon-bench printed)."""

    def __init__(self, bench, urls, connections, duration, ramp=2000.0, source_ips=None, pids=(), field=None,
                 stall=False, cpu=None, expect=()):
        self.command = [bench, "load", *urls, "--connections", str(connections), "--ramp", f"{ramp:g}",
                        "--duration", f"{duration:g}"]
        if source_ips:
            self.command += ["--source-ips", source_ips]
        if pids:
            self.command += ["--pid", ",".join(str(pid) for pid in pids)]
        if field:
            self.command += ["--field", field]
        if stall:
            self.command.append("--stall")
        self.command += list(expect)
        if cpu is not None:
            self.command = ["taskset", "-c", str(cpu), *self.command]
        # The dials, the window and a margin for starting and reporting: a hung run is stopped.
        self.timeout = connections / ramp + duration + 60
        self.report, self.errors, self.status = None, "", None

    def run(self):
        """Runs to the end; returns the report (None on failure)."""
        try:
            done = subprocess.run(self.command, capture_output=True, text=True, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            self.errors = f"beacon-bench did not finish within {self.timeout:.0f} s"
            return None
        self.status, self.errors = done.returncode, done.stderr.strip()
        self.report = read_report(done.stdout)
        return self.report

    @property
    def summary(self):
        """beacon-bench's one-line summary (its last line on standard error)."""
        lines = self.errors.splitlines()
        return lines[-1].removeprefix("beacon-bench: ") if lines else ""


def publish_command(bench, port, rate, seconds):
    """`beacon-bench publish`, POSTing `{"t": now}` to nchan's channel `bench` `rate` times a second."""
    return [bench, "publish", f"http://{HOST}:{port}/pub/bench", "--rate", f"{rate:g}", "--duration", f"{seconds:.0f}"]
