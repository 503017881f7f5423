"""Each tool's command line: its defaults (the ones the docs' figures rely on) and clear errors."""

import pytest

from loadtest import cli


def usage_error(capsys, *argv):
    """The message of the usage error `argv` must cause."""
    with pytest.raises(SystemExit) as exit:
        cli.parse(list(argv))
    assert exit.value.code == 2
    return capsys.readouterr().err


def test_every_tool_is_a_subcommand(capsys):
    with pytest.raises(SystemExit):
        cli.parse(["--help"])
    listing = capsys.readouterr().out
    for name in ("fanout", "plugin-scale", "soak", "reconnect-storm", "slow-clients", "reload-storm"):
        assert name in listing


def test_an_unknown_tool_is_refused(capsys):
    assert "invalid choice: 'bench-compare'" in usage_error(capsys, "bench-compare")


def test_fanout_defaults_are_the_published_runs():
    args = cli.parse(["fanout"])
    assert args.sizes == [1000, 5000, 10000]
    assert (args.rate, args.duration, args.runs, args.ramp) == (5.0, 20.0, 3, 2000.0)
    assert args.targets == ["beacon", "nchan", "floor"]
    assert args.source_ips == "127.0.0.1-127.0.0.8"
    assert not (args.no_pin or args.untuned or args.idle or args.no_build or args.keep)
    assert args.results.endswith("bench/results/runs.jsonl")


def test_fanout_reads_sizes_and_targets():
    args = cli.parse(["fanout", "--connections", "5000, 10000", "--targets", "floor,beacon", "--runs", "7"])
    assert args.sizes == [5000, 10000]
    assert args.targets == ["floor", "beacon"]
    assert args.runs == 7


@pytest.mark.parametrize("argv, message", [
    (["--connections", "1000,lots"], "numbers separated by commas"),
    (["--connections", "20000"], "from 1 to 19000"),
    (["--targets", "beacon,gin"], "a comma list of floor, nchan, beacon"),
    (["--idle"], "--idle measures Beacon alone"),
    (["--rate", "0"], "--rate must be from 0.01 to 100"),
    (["--duration", "601"], "--duration must be from 1 to 600"),
    (["--runs", "21"], "--runs must be from 1 to 20"),
    (["--ramp", "0"], "--ramp must be from 1 to 20000"),
])
def test_fanout_refuses_what_it_cannot_run(capsys, argv, message):
    assert message in usage_error(capsys, "fanout", *argv)


def test_fanout_idle_measures_beacon_alone():
    assert cli.parse(["fanout", "--targets", "beacon", "--idle"]).idle


def test_plugin_scale_defaults_are_the_targets_size():
    args = cli.parse(["plugin-scale"])
    assert (args.plugins, args.interval, args.seconds, args.windows, args.warmup, args.reloads) == \
        (1000, 0.1, 10.0, 3, 30.0, 3)
    assert args.beside is None and args.extra == []


@pytest.mark.parametrize("schedule, seconds", [("250ms", 0.25), ("1.5s", 1.5), ("2m", 120.0), ("3", 3.0)])
def test_plugin_scale_reads_schedules(schedule, seconds):
    assert cli.parse(["plugin-scale", "--schedule", schedule]).interval == pytest.approx(seconds)


@pytest.mark.parametrize("argv, message", [
    (["--schedule", "fast"], "use a number with ms, s or m"),
    (["--plugins", "0"], "--plugins must be from 1 to 20000"),
    (["--windows", "21"], "--windows must be from 1 to 20"),
    (["--beside-untuned"], "--beside-untuned needs --beside"),
])
def test_plugin_scale_refuses_what_it_cannot_run(capsys, argv, message):
    assert message in usage_error(capsys, "plugin-scale", *argv)


def test_options_after_a_double_dash_go_to_beacon():
    args = cli.parse(["soak", "600", "--sample", "30", "--", "--heartbeat", "5", "--history", "10"])
    assert args.duration == 600 and args.sample == 30
    assert args.extra == ["--heartbeat", "5", "--history", "10"]
    assert cli.parse(["plugin-scale", "--beside", "old/beacon", "--", "--log-level", "debug"]).extra == \
        ["--log-level", "debug"]


def test_fanout_takes_no_options_for_beacon(capsys):
    assert "fanout passes no options to beacon" in usage_error(capsys, "fanout", "--", "--heartbeat", "5")


@pytest.mark.parametrize("argv, message", [
    (["soak"], "the following arguments are required: duration"),
    (["soak", "0"], "duration must be from 1 to 86400"),
    (["soak", "60", "--reload-every", "0.5"], "--reload-every must be 0"),
    (["soak", "60", "--churn", "501"], "--churn must be from 0 to 500"),
    (["reconnect-storm", "--connections", "15001"], "--connections must be from 1 to 15000"),
    (["reconnect-storm", "--rounds", "0"], "--rounds must be from 1 to 5"),
    (["slow-clients", "--readers", "0"], "--readers must be from 1 to 2000"),
    (["slow-clients", "--seconds", "1"], "--seconds must be from 2 to 3600"),
    (["reload-storm", "--signals", "10001"], "--signals must be from 1 to 10000"),
    (["reload-storm", "--over", "0"], "--over must be from 0.01 to 60"),
])
def test_bounds_are_errors_that_name_the_range(capsys, argv, message):
    assert message in usage_error(capsys, *argv)


def test_storm_and_client_defaults_are_the_documented_runs():
    storm = cli.parse(["reconnect-storm"])
    assert (storm.connections, storm.spread, storm.deadline, storm.rounds) == (5000, 1.0, 30.0, 2)
    slow = cli.parse(["slow-clients"])
    assert (slow.stalled, slow.readers, slow.rate, slow.size, slow.seconds, slow.baseline) == \
        (1000, 100, 100.0, 8192, 75.0, 15.0)
    reload = cli.parse(["reload-storm"])
    assert (reload.clients, reload.signals, reload.over, reload.rounds) == (1000, 100, 1.0, 3)
    soak = cli.parse(["soak", "1800"])
    assert (soak.subscribers, soak.churn, soak.stalled, soak.reload_every, soak.sample) == (200, 40.0, 4, 30.0, 5.0)


def test_help_names_each_range_and_default(capsys):
    with pytest.raises(SystemExit):
        cli.parse(["reconnect-storm", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "clients per round (1 to 15000; default 5000)" in text
    assert "Options after -- go to beacon serve" in text


def test_http_checks_spreads_the_paths():
    from loadtest.http_checks import path_for
    paths = [path_for(index, 9, 1) for index in range(200)]
    assert paths.count("/never") == 2 and paths.count("/slow") == 18 and paths.count("/fast") == 180
    assert path_for(100, 9, 1) == "/never" and path_for(101, 9, 1) == "/slow" and path_for(110, 9, 1) == "/fast"


def test_http_checks_refuses_more_than_all_plugins(capsys):
    assert "add up to more than 100" in usage_error(capsys, "http-checks", "--slow-percent", "60", "--never-percent", "50")


def test_cluster_fanout_is_off_unless_asked_and_its_defaults():
    args = cli.parse(["cluster"])
    assert (args.plugins, args.trials, args.fanout_subscribers) == (1000, 20, 0)
    args = cli.parse(["cluster", "--plugins", "0", "--trials", "0", "--fanout-subscribers", "15000"])
    assert (args.fanout_plugins, args.fanout_every, args.fanout_seconds, args.fanout_drain, args.fanout_ramp) == \
        (6, 0.2, 20.0, 15.0, 1000.0)
    assert args.fanout_single == ["memory", "postgres"]
    assert cli.parse(["cluster", "--fanout-single", "none"]).fanout_single == []
    assert cli.parse(["cluster", "--fanout-single", " postgres "]).fanout_single == ["postgres"]


@pytest.mark.parametrize("argv, message", [
    (["--plugins", "2"], "--plugins must be 0 (no delivery run) or from 3 to 5000"),
    (["--fanout-subscribers", "19001"], "--fanout-subscribers must be from 0 to 19000"),
    (["--fanout-single", "sqlite"], "--fanout-single: memory, postgres, memory,postgres or none"),
    (["--fanout-every", "0.01"], "--fanout-every must be from 0.05 to 60"),
])
def test_cluster_refuses_what_it_cannot_run(capsys, argv, message):
    assert message in usage_error(capsys, "cluster", *argv)
