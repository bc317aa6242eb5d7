"""The installed ``hftsim`` console script, run as a user runs it."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from hftsim.core import COMMAND_DTYPE

HFTSIM = shutil.which("hftsim", path=str(Path(sys.executable).parent)) or "hftsim"


def run(*args, cwd=None):
    return subprocess.run([HFTSIM, *args], capture_output=True, text=True, timeout=120, cwd=cwd)


def test_cli_help_lists_every_command():
    done = run("--help")
    assert done.returncode == 0, done.stderr
    for name in ("demo", "bench", "replay", "hawkes", "facts"):
        assert name in done.stdout


@pytest.mark.parametrize(
    "command", ["bench", "replay", "demo", "hawkes", "facts", "simulate", "regress", "journal", "venue"]
)
def test_cli_subcommand_help(command):
    done = run(command, "--help")
    assert done.returncode == 0, done.stderr
    assert "usage: hftsim" in done.stdout


def test_cli_unknown_command_exits_2():
    done = run("frobnicate")
    assert done.returncode == 2 and "invalid choice" in done.stderr


def test_cli_replay_bad_file_clear_error_no_traceback(tmp_path):
    bad = tmp_path / "bad.npy"
    np.save(bad, np.zeros(3, dtype=[("seq", "<i8")]))
    done = run("replay", str(bad))
    assert done.returncode == 2
    assert "missing fields" in done.stderr and "Traceback" not in done.stderr
    done = run("replay", str(tmp_path / "absent.parquet"))
    assert done.returncode == 2 and "no such file" in done.stderr


def test_cli_replay_writes_events_and_prints_digest(tmp_path):
    cmds = np.zeros(2, dtype=COMMAND_DTYPE)
    cmds["seq"] = [1, 2]
    cmds["kind"] = 1
    cmds["side"] = [-1, 1]
    cmds["order_type"] = 1
    cmds["tif"] = 1
    cmds["price_ticks"] = 100
    cmds["qty"] = 10
    cmds["owner_id"] = [1, 2]
    np.save(tmp_path / "cmds.npy", cmds)
    done = run("replay", str(tmp_path / "cmds.npy"), "--out", str(tmp_path / "events.npy"))
    assert done.returncode == 0, done.stderr
    assert "2 commands -> " in done.stdout and "digest" in done.stdout
    events = np.load(tmp_path / "events.npy")
    assert (events["kind"] == 7).sum() == 1  # one trade


@pytest.mark.slow
def test_cli_bench_engine_quick_json_has_the_issue_keys(tmp_path):
    done = run(
        "bench",
        "engine",
        "--quick",
        "--json",
        "--results",
        str(tmp_path),
        "--perf-dir",
        str(tmp_path / "run1"),
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    figures = json.loads(done.stdout)
    for key in (
        "batch_msgs_per_s",
        "msgs_per_s",
        "p50_ns",
        "p99_ns",
        "p999_ns",
        "peak_rss_mb",
        "resting_1m_growth_mb",
    ):
        assert figures[key] > 0
    assert (tmp_path / "bench_engine.csv").read_text().count("\n") == 2  # header and one row
    perf = (tmp_path / "run1" / "perf.csv").read_text()
    assert "engine,p99_ns,ns," in perf and "engine,batch_msgs_per_s,1/s," in perf


def test_cli_venue_recover_of_missing_directory_is_a_clear_error(tmp_path):
    done = run("venue", "recover", str(tmp_path / "nothing"))
    assert done.returncode == 2 and "venue.json is missing" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.slow
def test_cli_demo_runs_the_simulation_and_writes_its_report(tmp_path):
    done = run("demo", "--scenario", "quick", "--no-bench", "--out", str(tmp_path / "demo"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    run_dir = tmp_path / "demo" / "run"
    for name in (
        "summary.json",
        "events.parquet",
        "l1.parquet",
        "trades.parquet",
        "facts/facts.csv",
        "impact/impact.csv",
    ):
        assert (run_dir / name).stat().st_size > 0, name
    assert "stylized facts" in done.stdout and "impact: R(1)" in done.stdout
