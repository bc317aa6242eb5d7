"""The ``hftsim facts`` command on generated run directories and LOBSTER pairs."""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from hftsim.analytics.cli import add_parser, main
from hftsim.analytics.plots import PLOT_FILES
from hftsim.data import L1_SCHEMA, TRADE_SCHEMA, FlowKind, flow_table, write_lobster, write_table


def _run_dir(tmp_path: Path, market, *, seed: int = 31) -> Path:
    rng = np.random.default_rng(seed)
    run = tmp_path / "run"
    run.mkdir()
    write_table(pa.table(market.random_walk_quotes(rng, 3_000, 10.0)), run / "l1.parquet", L1_SCHEMA)
    write_table(
        pa.table(
            market.trades_at(market.poisson_times_ns(rng, 800, 3.0), market.markov_signs(rng, 800, 0.5))
        ),
        run / "trades.parquet",
        TRADE_SCHEMA,
    )
    return run


def test_add_parser_registers_facts_command():
    parser = argparse.ArgumentParser(prog="hftsim")
    add_parser(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["facts", "somewhere", "--tick-size", "50", "--symbol-id", "2"])
    assert (args.path, args.tick_size, args.symbol_id, args.out) == (Path("somewhere"), 50, 2, None)
    assert callable(args.func)


@pytest.mark.slow
def test_facts_run_directory_writes_csv_json_and_plots(tmp_path, capsys, market):
    run = _run_dir(tmp_path, market)
    assert main(["facts", str(run)]) == 0
    out = run / "facts"
    assert sorted(p.name for p in out.iterdir()) == sorted(["facts.csv", "facts.json", *PLOT_FILES])
    document = json.loads((out / "facts.json").read_text())
    assert document["num_quotes"] == 3_000 and document["num_trades"] == 800
    assert document["sign_acf_lag1"] == pytest.approx(0.5, abs=0.1)
    assert str(out / "facts.json") in capsys.readouterr().out


@pytest.mark.slow
def test_facts_lobster_pair_with_out_option(tmp_path, market):
    rng = np.random.default_rng(32)
    quotes = market.random_walk_quotes(rng, 400, 10.0)
    n = quotes["ts_ns"].size
    is_trade = rng.random(n) < 0.3
    flow = flow_table(
        ts_ns=quotes["ts_ns"] + 34_200 * 10**9,
        symbol_id=np.zeros(n),
        kind=np.where(is_trade, FlowKind.EXECUTE, FlowKind.NEW),
        order_id=np.arange(1, n + 1),
        side=rng.choice([-1, 1], n),
        price_ticks=quotes["bid_px_ticks"],
        qty=np.full(n, 10),
    )
    l1 = pa.table({**quotes, "ts_ns": flow.column("ts_ns")})
    message = tmp_path / "XYZ_2012-06-21_34200000_57600000_message_1.csv"
    write_lobster(
        message,
        flow,
        tick_size=100,
        orderbook_path=tmp_path / message.name.replace("message", "orderbook"),
        l1=l1.select(L1_SCHEMA.names),
    )
    out = tmp_path / "facts_out"
    assert main(["facts", str(message), "--out", str(out)]) == 0
    document = json.loads((out / "facts.json").read_text())
    assert document["num_quotes"] == n
    assert document["num_trades"] == int(is_trade.sum())


def _only_l1(tmp: Path) -> Path:
    write_table(
        pa.table(
            {
                "ts_ns": [1, 2],
                "symbol_id": [0, 0],
                "bid_px_ticks": [99, 99],
                "bid_qty": [1, 1],
                "ask_px_ticks": [100, 100],
                "ask_qty": [1, 1],
            }
        ),
        tmp / "l1.parquet",
        L1_SCHEMA,
    )
    return tmp


def _message_only(tmp: Path) -> Path:
    path = tmp / "A_2012-06-21_0_1_message_1.csv"
    path.write_text("34200.1,1,1,10,1000000,1\n")
    return path


def _bad_message(tmp: Path) -> Path:
    path = tmp / "A_2012-06-21_0_1_message_1.csv"
    path.write_text("34200.1,1,1,10,1000000,2\n")
    (tmp / "A_2012-06-21_0_1_orderbook_1.csv").write_text("1000100,5,1000000,10\n")
    return path


def _plain_csv(tmp: Path) -> Path:
    path = tmp / "quotes.csv"
    path.write_text("1,2\n")
    return path


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        (lambda tmp: tmp / "does_not_exist", "does_not_exist: no such file or directory"),
        (lambda tmp: tmp, "missing l1.parquet, trades.parquet"),
        (_only_l1, "missing trades.parquet"),
        (_message_only, "no such LOBSTER orderbook file"),
        (_bad_message, "line 1: Direction must be 1 or -1, got 2"),
        (_plain_csv, "cannot infer the orderbook file"),
    ],
)
def test_facts_bad_input_exits_2_with_one_line_error(tmp_path, capsys, setup, expected):
    path = setup(tmp_path)
    assert main(["facts", str(path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("hftsim facts: error: ")
    assert expected in captured.err
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.slow
def test_facts_module_entry_point_unknown_path_exits_2_without_traceback(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "hftsim.analytics.cli", "facts", str(tmp_path / "nowhere")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "no such file or directory" in result.stderr and "Traceback" not in result.stderr
