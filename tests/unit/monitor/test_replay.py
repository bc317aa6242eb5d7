"""RunReplay and `hftsim dashboard RUN_DIR`: what a run directory needs, clear errors otherwise."""

import argparse
import json

import numpy as np
import pytest

from hftsim.core.clock import SimClock
from hftsim.core.errors import ConfigError
from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, l1_table, trade_table, write_table
from hftsim.monitor import MetricsRegistry, VenueMetrics
from hftsim.monitor.cli import add_parser
from hftsim.monitor.dashboard import RunReplay, check_run_dir

SECOND = 1_000_000_000


def _run_dir(path, with_metrics=False):
    path.mkdir()
    ts = np.arange(1, 11, dtype=np.int64) * SECOND  # quotes at 1..10 s
    write_table(
        l1_table(
            ts_ns=ts,
            symbol_id=np.zeros(10, np.int32),
            bid_px_ticks=100 + np.arange(10),
            bid_qty=np.full(10, 5),
            ask_px_ticks=102 + np.arange(10),
            ask_qty=np.full(10, 7),
        ),
        path / "l1.parquet",
        L1_SCHEMA,
    )
    tts = np.array([2, 4, 6, 8], dtype=np.int64) * SECOND
    write_table(
        trade_table(
            ts_ns=tts,
            symbol_id=np.zeros(4, np.int32),
            price_ticks=np.array([101, 103, 105, 107]),
            qty=np.array([1, 2, 3, 4]),
            aggressor_side=np.array([1, -1, 1, -1], np.int8),
            exec_id=np.arange(1, 5),
        ),
        path / "trades.parquet",
        TRADE_SCHEMA,
    )
    if with_metrics:
        reg = MetricsRegistry()
        vm = VenueMetrics(reg)
        vm.stages["match"].record_many(np.full(100, 500))
        vm.pnl("maker").set(42.0)
        reg.dump(path / "metrics.json")
    (path / "summary.json").write_text(json.dumps({"final_books": {"AAA": {}}}))
    return path


def test_replay_moves_through_the_run_and_ends_on_final_figures(tmp_path):
    clock = SimClock()
    replay = RunReplay(_run_dir(tmp_path / "run"), clock=clock, duration_s=9.0)
    first = replay()
    assert first["book"] == {"symbol": "AAA", "bids": [[100, 5, None]], "asks": [[102, 7, None]]}
    assert first["counters"]["trades"] == 0 and first["finished"] is False
    clock.advance_to(4 * SECOND)  # 4/9 of the way from 1 s to 10 s: run time 5 s
    mid = replay()
    assert mid["book"]["bids"][0][0] == 104
    assert mid["counters"]["trades"] == 2 and mid["counters"]["traded_qty"] == 3
    assert [t[1] for t in mid["trades"]] == [103, 101]  # newest first
    assert mid["throughput"]["trades_per_s"] == pytest.approx(2 / 4.0)
    clock.advance_to(60 * SECOND)
    end = replay()
    assert end["finished"] is True and end["counters"]["trades"] == 4
    assert end["has_metrics"] is False and end["latency"] == {}


def test_replay_with_metrics_file_shows_latency_and_pnl(tmp_path):
    replay = RunReplay(_run_dir(tmp_path / "run", with_metrics=True), clock=SimClock())
    snap = replay()
    assert snap["has_metrics"] is True
    assert snap["latency"]["match"]["count"] == 100
    assert snap["pnl"] == {"maker": 42.0}


def test_check_run_dir_unknown_directory_is_clear_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such run directory"):
        check_run_dir(tmp_path / "nope")
    (tmp_path / "file").write_text("x")
    with pytest.raises(ConfigError, match="not a directory"):
        check_run_dir(tmp_path / "file")


def test_check_run_dir_without_metrics_is_clear_config_error(tmp_path):
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").write_text("{}")
    with pytest.raises(ConfigError, match="no metrics to show: missing l1.parquet, trades.parquet"):
        check_run_dir(run)


def test_replay_corrupt_metrics_file_is_config_error(tmp_path):
    run = _run_dir(tmp_path / "run")
    (run / "metrics.json").write_text("[1, 2")
    with pytest.raises(ConfigError, match="metrics.json"):
        RunReplay(run, clock=SimClock())


def _cli(argv):
    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(argv)
    return args.func(args)


def test_dashboard_cli_unknown_dir_exits_2_with_message(tmp_path, capsys):
    assert _cli(["dashboard", str(tmp_path / "missing")]) == 2
    assert "no such run directory" in capsys.readouterr().err


def test_dashboard_cli_run_without_metrics_exits_2_with_message(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert _cli(["dashboard", str(tmp_path / "empty"), "--port", "0"]) == 2
    assert "has no metrics to show" in capsys.readouterr().err
