"""Bad input to comparisons: every mismatch is an error naming it, never a silent pass."""

import json
import shutil

import pytest

from hftsim.bench.regress import write_perf
from hftsim.core.errors import ConfigError
from hftsim.stress.baseline import check_comparable, compare_runs, load_thresholds, suite_versions
from hftsim.stress.outcome import Outcome


def _run_dir(path, value=100.0, version="1-quick", suite="flood", metric="rtt_p99_us", status="complete"):
    out = Outcome(suite, "1", "quick")
    out.add(metric, value, offered_msgs_per_s=10000)
    write_perf(path, out.rows, {suite: version})
    (path / "run.json").write_text(json.dumps({"status": status}))
    return path


def test_suite_versions_missing_directory_names_it(tmp_path):
    with pytest.raises(ConfigError, match="nope: no such result directory"):
        suite_versions(tmp_path / "nope")


def test_suite_versions_empty_directory_is_partial(tmp_path):
    with pytest.raises(ConfigError, match="no perf.csv found"):
        suite_versions(tmp_path)


def test_suite_versions_unfinished_run_refused(tmp_path):
    _run_dir(tmp_path / "a", status="running")
    with pytest.raises(ConfigError, match="partial run.*'running'"):
        suite_versions(tmp_path / "a")


def test_suite_versions_without_meta_refused(tmp_path):
    _run_dir(tmp_path / "a")
    (tmp_path / "a" / "meta.json").unlink()
    with pytest.raises(ConfigError, match="no meta.json beside it"):
        suite_versions(tmp_path / "a")


def test_suite_versions_repeats_mixing_versions_refused(tmp_path):
    _run_dir(tmp_path / "a" / "rep-01", version="1-quick")
    _run_dir(tmp_path / "a" / "rep-02", version="2-quick")
    with pytest.raises(ConfigError, match="mixes scenario versions '1-quick' and '2-quick'"):
        suite_versions(tmp_path / "a")


def test_check_comparable_different_versions_named(tmp_path):
    _run_dir(tmp_path / "a", version="1-quick")
    _run_dir(tmp_path / "b", version="2-quick")
    with pytest.raises(ConfigError, match=r"flood \(baseline '1-quick', current '2-quick'\)"):
        check_comparable(tmp_path / "a", tmp_path / "b")


def test_check_comparable_quick_against_full_refused(tmp_path):
    _run_dir(tmp_path / "a", version="1-quick")
    _run_dir(tmp_path / "b", version="1-full")
    with pytest.raises(ConfigError, match="scenario versions differ"):
        check_comparable(tmp_path / "a", tmp_path / "b")


def test_check_comparable_different_suites_named(tmp_path):
    _run_dir(tmp_path / "a", suite="flood")
    _run_dir(tmp_path / "b", suite="loss", metric="gap_fill_p99_ms")
    with pytest.raises(ConfigError, match="only in baseline: flood; only in current: loss"):
        check_comparable(tmp_path / "a", tmp_path / "b")


def test_compare_runs_partial_current_missing_metric_named(tmp_path):
    _run_dir(tmp_path / "a")
    out = Outcome("flood", "1", "quick")
    out.add("rtt_p50_us", 50.0, offered_msgs_per_s=10000)
    write_perf(tmp_path / "a", out.rows)
    _run_dir(tmp_path / "b")
    with pytest.raises(ConfigError, match="missing in current: flood.rtt_p50_us"):
        compare_runs(tmp_path / "a", tmp_path / "b")


def test_compare_runs_planted_regression_fails_same_passes(tmp_path):
    _run_dir(tmp_path / "a", 100.0)
    _run_dir(tmp_path / "same", 100.0)
    _run_dir(tmp_path / "slow", 120.0)
    assert all(c.passed for c in compare_runs(tmp_path / "a", tmp_path / "same", {}))
    (bad,) = compare_runs(tmp_path / "a", tmp_path / "slow", {})
    assert not bad.passed and round(bad.delta_pct) == 20


def test_compare_runs_copied_baseline_passes(tmp_path):
    _run_dir(tmp_path / "a")
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    assert [c.passed for c in compare_runs(tmp_path / "a", tmp_path / "b")] == [True]


def test_load_thresholds_default_table_has_percentages():
    table = load_thresholds(None)
    assert table and all(isinstance(v, (int, float)) for v in table.values())


def test_load_thresholds_bad_file_names_it(tmp_path):
    bad = tmp_path / "t.toml"
    bad.write_text("[thresholds\n")
    with pytest.raises(ConfigError, match="t.toml"):
        load_thresholds(bad)
