"""`bench/run TOOL [options]`: Beacon's load and soak tools, one subcommand each."""

import argparse
import os
import shutil
import signal
import sys
import tempfile

from . import cluster, dashboard, fanout, http_checks, plugin_scale, reconnect_storm, reload_storm, slow_clients, soak, store
from .options import out_of_range
from .repo import RunError, SetupError

TOOLS = {
    "fanout": fanout,
    "plugin-scale": plugin_scale,
    "soak": soak,
    "reconnect-storm": reconnect_storm,
    "slow-clients": slow_clients,
    "reload-storm": reload_storm,
    "store": store,
    "http-checks": http_checks,
    "dashboard": dashboard,
    "cluster": cluster,
}


def parser():
    top = argparse.ArgumentParser(
        prog="bench/run", formatter_class=argparse.RawDescriptionHelpFormatter,
        description="Beacon's load and soak tools. Each starts the servers it measures on 127.0.0.1, and "
                    "every run is bounded in connections and time. Binaries: $BEACON_BIN and $BEACON_BENCH_BIN, "
                    "else release builds under --build-path, built when needed. `bench/run TOOL --help` "
                    "says what a tool does.")
    tools = top.add_subparsers(dest="tool", required=True, metavar="TOOL")
    for name, module in TOOLS.items():
        summary = module.__doc__.split("\n\n")[0].replace("\n", " ")
        sub = tools.add_parser(name, help=summary.split(": ", 1)[1], description=module.__doc__,
                               formatter_class=argparse.RawDescriptionHelpFormatter)
        module.add_arguments(sub)
        if getattr(module, "BEACON_OPTIONS", False):
            sub.epilog = "Options after -- go to beacon serve, such as -- --heartbeat 5."
        sub.add_argument("--build-path", default=os.environ.get("BUILD_PATH", ".build"),
                         help="swift build's scratch path for the release builds (default .build)")
        sub.add_argument("--no-build", action="store_true", help="use the binaries already built, never build")
        sub.add_argument("--keep", action="store_true",
                         help="keep the temporary folder (plugins, logs), which is kept anyway when the run fails")
        sub.set_defaults(module=module, parser=sub)
    return top


def parse(argv):
    """The parsed arguments of a command line, checked by the tool; exits with a usage error if wrong.
    Whatever follows the first `--` is `args.extra`, for beacon serve."""
    extra = argv[argv.index("--") + 1:] if "--" in argv else []
    args = parser().parse_args(argv[:len(argv) - len(extra) - 1] if "--" in argv else argv)
    args.extra = extra
    problem = out_of_range(args) or (args.module.check(args) if hasattr(args.module, "check") else None)
    if extra and not getattr(args.module, "BEACON_OPTIONS", False):
        problem = problem or f"{args.tool} passes no options to beacon: nothing may follow --"
    if problem:
        args.parser.error(problem)
    return args


def stop_on_sigterm(number, _frame):
    raise SystemExit(128 + number)  # through every `finally`, as Ctrl-C would


def main(argv=None):
    args = parse(sys.argv[1:] if argv is None else argv)
    signal.signal(signal.SIGTERM, stop_on_sigterm)
    args.work = tempfile.mkdtemp(prefix=f"beacon-{args.tool}-")
    status = 1
    try:
        status = args.module.run(args)
    except SetupError as error:  # before anything was measured
        print(f"{args.tool}: {error}", file=sys.stderr)
        status = 2
    except RunError as error:
        print(f"{args.tool}: {error}", file=sys.stderr)
        status = 1
    except KeyboardInterrupt:
        print(f"{args.tool}: interrupted", file=sys.stderr)
    finally:
        if status == 0 and not args.keep:
            shutil.rmtree(args.work, ignore_errors=True)
        else:
            print(f"{args.tool}: kept {args.work}", file=sys.stderr)
    return status
