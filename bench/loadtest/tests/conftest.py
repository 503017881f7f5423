"""The built binaries the real runs use, and a way to run a tool as a user would."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from loadtest.repo import ROOT

RUN = ROOT / "bench" / "run"


def built(variable, product):
    """$VARIABLE, else the debug build under .build; the real runs fail (never skip) without it."""
    path = Path(os.environ.get(variable) or ROOT / ".build" / "debug" / product)
    if not os.access(path, os.X_OK):
        pytest.fail(f"no {product} at {path}: run `swift build --product {product}` or set {variable}")
    return str(path.resolve())


@pytest.fixture(scope="session")
def binaries():
    return {"BEACON_BIN": built("BEACON_BIN", "beacon"), "BEACON_BENCH_BIN": built("BEACON_BENCH_BIN", "beacon-bench")}


@pytest.fixture
def run_tool(binaries):
    """Runs `bench/run ARGS...` with the built binaries (never building), within `timeout` seconds;
    `beside_postgres` runs it under scripts/with-postgres, which starts a PostgreSQL server for it."""
    def run(tool, *arguments, timeout=120, beside_postgres=False):
        environment = dict(os.environ, **binaries)
        prefix = [str(ROOT / "scripts" / "with-postgres")] if beside_postgres else []
        return subprocess.run([*prefix, sys.executable, str(RUN), tool, "--no-build", *arguments],
                              capture_output=True, text=True, timeout=timeout, env=environment, cwd=ROOT)
    return run
