"""The checkout the tools run from: its binaries, the deployed allocator settings, the bench plugin."""

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
HOST = "127.0.0.1"  # every tool talks to loopback only
DEPLOY_UNIT = ROOT / "examples" / "deploy" / "beacon.service"
NOW_PLUGIN = ROOT / "bench" / "now.lua"
BINARY_VARIABLES = {"beacon": "BEACON_BIN", "beacon-bench": "BEACON_BENCH_BIN"}


class SetupError(Exception):
    """Something to fix before a run can start; the message says what."""


class RunError(Exception):
    """A run that could not go on: the server died or stopped answering; the message says where its log is."""


def deployed_tunables(unit_text=None):
    """GLIBC_TUNABLES as the systemd unit sets it: the one place Beacon's allocator settings are written."""
    if unit_text is None:
        unit_text = DEPLOY_UNIT.read_text()
    found = re.search(r"(?m)^Environment=GLIBC_TUNABLES=(\S+)$", unit_text)
    if not found:
        raise SetupError(f"{DEPLOY_UNIT} has no Environment=GLIBC_TUNABLES= line")
    return found.group(1)


def beacon_environment(untuned, base=None):
    """The environment Beacon runs in: `base` (this process's) with the deployed allocator settings,
    unless `untuned`; a GLIBC_TUNABLES already set is kept as it is."""
    environment = dict(os.environ if base is None else base)
    if untuned:
        environment.pop("GLIBC_TUNABLES", None)
    else:
        environment.setdefault("GLIBC_TUNABLES", deployed_tunables())
    return environment


def binary(product, args):
    """The path of `product` (beacon or beacon-bench): $BEACON_BIN / $BEACON_BENCH_BIN when set,
    else the release build under `args.build_path`, built first unless `args.no_build`."""
    given = os.environ.get(BINARY_VARIABLES[product])
    path = Path(given) if given else ROOT / args.build_path / "release" / product
    if not given and not args.no_build:
        command = ["swift", "build", "-c", "release", "--product", product, "--scratch-path", args.build_path]
        print("+ " + " ".join(command), flush=True)
        try:
            subprocess.run(command, cwd=ROOT, check=True, timeout=3600)
        except (OSError, subprocess.SubprocessError) as error:
            raise SetupError(f"building {product} failed: {error}") from error
    if not os.access(path, os.X_OK):
        raise SetupError(f"no {product} binary at {path}: build it, or set {BINARY_VARIABLES[product]}")
    return str(path)


def now_plugin(schedule):
    """bench/now.lua (a result stamped with beacon.now()) with its schedule set to `schedule`."""
    text, replaced = re.subn(r"(?m)^schedule = .*$", f"schedule = {schedule}", NOW_PLUGIN.read_text())
    if replaced != 1:
        raise SetupError(f"{NOW_PLUGIN} has no `schedule = ...` line to set")
    return text


def commit():
    """The checkout's commit, with `+changes` when tracked files differ from it."""
    def git(*arguments):
        return subprocess.run(["git", *arguments], capture_output=True, text=True, cwd=ROOT).stdout.strip()
    head = git("rev-parse", "--short", "HEAD") or "unknown"
    return head + ("+changes" if git("status", "--porcelain", "--untracked-files=no") else "")
