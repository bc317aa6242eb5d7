"""run_stress with a scenario double: layout, unavailable and failing suites, repeats, baselines."""

import csv
import json
import re
from pathlib import Path

import pytest

from hftsim.core.errors import ConfigError
from hftsim.stress.run import median_rows, run_stress

pytestmark = pytest.mark.slow  # draws PNGs (matplotlib import)


def _perf(path: Path) -> list[dict]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_run_stress_writes_layout(fake, tmp_path):
    report = run_stress("fake", quick=True, out=tmp_path, run_id="r1", echo=False)
    d = tmp_path / "r1"
    assert report.exit_code == 0 and report.run_dir == d
    rows = _perf(d / "perf.csv")
    assert {r["metric"] for r in rows} == {"rtt_p99_us", "rtt_p50_us", "lost_orders", "ack_msgs_per_s"}
    assert {r["conditions"] for r in rows} == {"mode=quick;offered_msgs_per_s=1000"}
    assert json.loads((d / "meta.json").read_text())["scenario_versions"] == {"fake": "1-quick"}
    manifest = json.loads((d / "run.json").read_text())
    assert manifest["status"] == "complete" and manifest["loadavg_end"]
    assert (d / "samples" / "fake_rtt_us.npy").stat().st_size > 0
    assert (d / "plots" / "fake_cdf.png").stat().st_size > 1000
    assert (d / "tables" / "fake_steps.csv").exists()
    assert "scenario fake" in (d / "stress.log").read_text()
    # the module's own TARGETS joins the table
    assert [(c.metric, c.status) for c in report.checks] == [("rtt_p99_us", "NOT MET")]


def test_run_stress_index_links_resolve(fake, tmp_path):
    run_stress("fake", quick=True, out=tmp_path, run_id="r1", echo=False)
    page = (tmp_path / "r1" / "index.html").read_text()
    links = re.findall(r"(?:href|src)='([^']+)'", page)
    assert "plots/fake_cdf.png" in links and "perf.csv" in links and "stress.log" in links
    for link in links:
        assert (tmp_path / "r1" / link).is_file(), link


def test_run_stress_unavailable_suite_reported_without_rows(fake, tmp_path):
    fake.MODE = "unavailable"
    report = run_stress("fake", quick=True, out=tmp_path, run_id="r1", echo=False)
    assert report.exit_code == 0
    assert "not in this build" in report.unavailable["fake"]
    assert not (tmp_path / "r1" / "perf.csv").exists()
    assert "not in this build" in (tmp_path / "r1" / "index.html").read_text()


def test_run_stress_failing_scenario_exit_1_and_logged(fake, tmp_path):
    fake.MODE = "boom"
    report = run_stress("fake", quick=True, out=tmp_path, run_id="r1", echo=False)
    assert report.exit_code == 1 and "the drill broke" in report.failed["fake"]
    assert "Traceback" in (tmp_path / "r1" / "stress.log").read_text()
    assert json.loads((tmp_path / "r1" / "run.json").read_text())["status"] == "complete_with_errors"


def test_run_stress_repeat_writes_one_perf_per_repeat_and_medians(fake, tmp_path):
    run_stress("fake", quick=True, out=tmp_path, repeat=3, run_id="r1", echo=False)
    d = tmp_path / "r1"
    assert sorted(p.parent.name for p in d.rglob("perf.csv")) == ["rep-01", "rep-02", "rep-03"]
    assert len(_perf(d / "medians.csv")) == 4


def test_median_rows_takes_median():
    rows = [{"suite": "s", "metric": "m", "conditions": "", "value": v} for v in (1, 9, 3)]
    assert median_rows(rows)[0]["value"] == 3


def test_run_stress_baseline_flags_planted_regression(fake, tmp_path):
    run_stress("fake", quick=True, out=tmp_path, run_id="base", echo=False)
    same = run_stress("fake", quick=True, out=tmp_path, run_id="same", baseline=tmp_path / "base", echo=False)
    assert same.exit_code == 0 and all(c.passed for c in same.regressions)
    fake.SCALE = 1.2
    slow = run_stress("fake", quick=True, out=tmp_path, run_id="slow", baseline=tmp_path / "base", echo=False)
    assert slow.exit_code == 1
    # stress thresholds: medians within 15%, p99 tails only gross breakage (300%)
    assert sorted(c.metric for c in slow.regressions if not c.passed) == ["rtt_p50_us"]
    assert (tmp_path / "slow" / "regression_report.md").exists()
    assert (tmp_path / "slow" / "plots" / "compare_fake_rtt_us.png").exists()


def test_run_stress_missing_baseline_refused_before_running(fake, tmp_path):
    with pytest.raises(ConfigError, match="no such result directory"):
        run_stress("fake", quick=True, out=tmp_path, run_id="r1", baseline=tmp_path / "nope", echo=False)
    assert not (tmp_path / "r1").exists()


def test_run_stress_other_version_baseline_is_an_error_not_a_pass(fake, tmp_path):
    run_stress("fake", quick=True, out=tmp_path, run_id="base", echo=False)
    fake.VERSION = "2"
    report = run_stress(
        "fake", quick=True, out=tmp_path, run_id="new", baseline=tmp_path / "base", echo=False
    )
    assert report.exit_code == 1 and "scenario versions differ" in report.failed["baseline"]
    assert report.regressions is None


def test_run_stress_bad_repeat_refused(fake, tmp_path):
    with pytest.raises(ConfigError, match="--repeat"):
        run_stress("fake", quick=True, out=tmp_path, repeat=0, echo=False)


def test_run_stress_full_against_quick_baseline_refused_before_running(fake, tmp_path):
    run_stress("fake", quick=True, out=tmp_path, run_id="base", echo=False)
    with pytest.raises(
        ConfigError, match=r"suite 'fake' is scenario version '1-quick', this run would be 1-full"
    ):
        run_stress("fake", quick=False, out=tmp_path, run_id="full", baseline=tmp_path / "base", echo=False)
    assert not (tmp_path / "full").exists()
