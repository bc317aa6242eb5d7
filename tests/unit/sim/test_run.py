"""run_scenario outputs and the simulate / scenarios commands."""

from __future__ import annotations

import json
import time

import numpy as np
import pyarrow.parquet as pq
import pytest

from hftsim.core.errors import ConfigError
from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, read_table
from hftsim.sim.cli import main
from hftsim.sim.run import run_scenario
from hftsim.sim.scenario import load_scenario, parse_scenario


def _short(seconds: float = 5.0):
    doc = load_scenario("quick").raw
    return parse_scenario(dict(doc, session={"duration_s": seconds, "block_s": 1}), default_name="short")


def test_run_scenario_writes_complete_run_directory(tmp_path):
    out = tmp_path / "run"
    result = run_scenario(_short(), out, progress=False, wall_clock=time.perf_counter)
    names = sorted(p.name for p in out.iterdir())
    assert names == ["commands.parquet", "events.parquet", "l1.parquet", "summary.json", "trades.parquet"]
    assert not list(tmp_path.glob(".*partial"))
    summary = json.loads((out / "summary.json").read_text())
    assert summary["digest"] == result.digest and summary["seed"] == 7
    assert summary["counts"]["commands"] == pq.read_table(out / "commands.parquet").num_rows
    assert summary["counts"]["events"] == pq.read_table(out / "events.parquet").num_rows
    assert summary["events_per_s"] > 0 and "SIM" in summary["final_books"]
    trades = read_table(out / "trades.parquet", TRADE_SCHEMA)
    events = pq.read_table(out / "events.parquet")
    assert trades.num_rows == int(np.sum(events.column("kind").to_numpy() == 7)) > 0
    l1 = read_table(out / "l1.parquet", L1_SCHEMA).to_pydict()
    assert np.all(np.diff(l1["ts_ns"]) >= 0)


def test_run_scenario_refuses_foreign_nonempty_directory(tmp_path):
    (tmp_path / "keep.txt").write_text("mine")
    with pytest.raises(ConfigError, match="holds no finished run"):
        run_scenario(_short(1.0), tmp_path, progress=False)
    assert (tmp_path / "keep.txt").read_text() == "mine"


def test_run_scenario_failure_leaves_no_output(tmp_path, monkeypatch):
    import hftsim.sim.run as run_module

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(run_module, "_write_tables", boom)
    with pytest.raises(RuntimeError):
        run_scenario(_short(1.0), tmp_path / "run", progress=False)
    assert list(tmp_path.iterdir()) == []


def test_run_scenario_seed_overrides_and_rerun_replaces(tmp_path):
    a = run_scenario(_short(1.0), tmp_path / "run", progress=False, seed=1)
    b = run_scenario(_short(1.0), tmp_path / "run", progress=False, seed=2)
    assert a.digest != b.digest
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["seed"] == 2


def test_cli_scenarios_lists_shipped(capsys):
    assert main(["scenarios"]) == 0
    out = capsys.readouterr().out
    assert "default" in out and "zi_1000" in out and "quick" in out


def test_cli_simulate_unknown_scenario_exits_2_without_traceback(capsys):
    assert main(["simulate", "no_such_scenario", "--no-progress"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and "Traceback" not in err


def test_cli_simulate_bad_field_exits_2_naming_path(tmp_path, capsys):
    path = tmp_path / "bad.toml"
    path.write_text('[[instruments]]\nsymbol = "A"\n[[flows]]\ntype = "zero_intelligence"\nlimit_rate = -1\n')
    assert main(["simulate", str(path), "--out", str(tmp_path / "o"), "--no-progress"]) == 2
    assert "flows[0].limit_rate: expected a number >= 0, got -1" in capsys.readouterr().err


def test_cli_simulate_writes_run(tmp_path, capsys):
    path = tmp_path / "tiny.toml"
    path.write_text(
        '[session]\nduration_s = 2\n[[instruments]]\nsymbol = "A"\n'
        '[[flows]]\ntype = "zero_intelligence"\npopulation = 10\nlimit_rate = 1.0\nmarket_rate = 0.2\n'
    )
    assert main(["simulate", str(path), "--out", str(tmp_path / "o"), "--seed", "3", "--no-progress"]) == 0
    assert "digest" in capsys.readouterr().out
    assert json.loads((tmp_path / "o" / "summary.json").read_text())["seed"] == 3


def test_public_all_is_pinned():
    import hftsim.flow
    import hftsim.sim

    assert hftsim.sim.__all__ == sorted(hftsim.sim.__all__) and "register_agent" in hftsim.sim.__all__
    assert set(hftsim.sim.__all__) >= {"Agent", "AgentContext", "Kernel", "run_scenario", "load_scenario"}
    assert "ZeroIntelligenceFlow" in hftsim.flow.__all__
