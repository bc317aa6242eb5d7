"""``hftsim stress <scenario> --quick`` end to end: real venue, real feed, real simulation (slow)."""

import csv
import json
import re

import pytest

from tests.integration.stress._cli import run

pytestmark = pytest.mark.slow


def _single_run(out):
    (run_dir,) = [p for p in out.iterdir() if p.is_dir()]
    return run_dir


def _check_layout(run_dir, suites):
    with (run_dir / "perf.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert {r["suite"] for r in rows} == set(suites)
    assert all(r["conditions"].startswith("mode=quick") for r in rows)
    assert all(float(r["value"]) == float(r["value"]) for r in rows)  # no NaN
    versions = json.loads((run_dir / "meta.json").read_text())["scenario_versions"]
    assert set(versions) == set(suites) and all(v.endswith("-quick") for v in versions.values())
    assert json.loads((run_dir / "run.json").read_text())["status"] == "complete"
    page = (run_dir / "index.html").read_text()
    for link in re.findall(r"(?:href|src)='([^']+)'", page):
        assert (run_dir / link).is_file(), link
    assert list((run_dir / "plots").glob("*.png")) and list((run_dir / "samples").glob("*.npy"))
    return rows


@pytest.mark.parametrize(
    "scenario,suites,metric",
    [
        ("flood", ["flood"], "max_sustained_msgs_per_s"),
        ("loss", ["loss"], "unrecovered_msgs"),
        ("jitter", ["jitter"], "rtt_p99_us"),
        ("oms", ["oms"], "backlog_p99_orders"),
    ],
)
def test_stress_scenario_quick_writes_comparable_run(tmp_path, scenario, suites, metric):
    done = run(f"hftsim stress {scenario} --quick --out {tmp_path}", tmp_path, timeout_s=120)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "targets met" in done.stdout
    rows = _check_layout(_single_run(tmp_path), suites)
    assert metric in {r["metric"] for r in rows}


def test_stress_soak_quick_measures_rss(tmp_path):
    done = run(f"hftsim stress soak --quick --out {tmp_path}", tmp_path, timeout_s=120)
    assert done.returncode == 0, done.stdout + done.stderr
    rows = _check_layout(_single_run(tmp_path), ["soak"])
    assert {"rss_growth_mb", "rtt_p99_drift_pct"} <= {r["metric"] for r in rows}


def test_stress_failover_quick_runs_or_says_not_available(tmp_path):
    done = run(f"hftsim stress failover --quick --out {tmp_path}", tmp_path, timeout_s=180)
    run_dir = _single_run(tmp_path)
    manifest = json.loads((run_dir / "run.json").read_text())
    if "failover" in manifest["unavailable"]:
        assert done.returncode == 0
        assert "suite not available in this build" in done.stdout
        assert not (run_dir / "perf.csv").exists()  # no fake values
    else:
        assert done.returncode == 0, done.stdout + done.stderr
        assert {r["suite"] for r in csv.DictReader((run_dir / "perf.csv").open())} == {"failover"}


def test_stress_unknown_scenario_exit_2(tmp_path):
    done = run("hftsim stress nosuch --quick", tmp_path, timeout_s=60)
    assert done.returncode == 2 and "invalid choice" in done.stderr
