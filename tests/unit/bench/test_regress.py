"""hftsim regress: flags real regressions, passes equal builds, refuses what does not line up."""

import subprocess
import sys

import pytest

from hftsim.bench.regress import compare_dirs, perf_rows, write_perf, write_report
from hftsim.core.errors import ConfigError

FIGURES = {
    "batch_msgs_per_s": 10_000_000,
    "p99_ns": 500,
    "p999_ns": 900,
    "peak_rss_mb": 80.0,
    "feed_unrecovered_1pct": 0,
    "quick": True,
}


def make_runs(root, figures_per_run, version="1"):
    for i, figures in enumerate(figures_per_run):
        write_perf(root / f"run{i}", perf_rows("engine", figures, "full"), {"engine": version})
    return root


def noisy(scale_p99=1.0, jitter=0.0):
    return [
        dict(FIGURES, p99_ns=FIGURES["p99_ns"] * scale_p99 * (1 + j), batch_msgs_per_s=10e6 * (1 - j))
        for j in (0.0, jitter, -jitter)
    ]


def test_regress_same_build_passes(tmp_path):
    base = make_runs(tmp_path / "a", noisy(jitter=0.03))
    cur = make_runs(tmp_path / "b", noisy(jitter=0.04))
    results = compare_dirs(base, cur)
    assert results and all(c.passed for c in results)


def test_regress_flags_planted_20pct_latency_regression(tmp_path):
    base = make_runs(tmp_path / "a", noisy(jitter=0.03))
    cur = make_runs(tmp_path / "b", noisy(scale_p99=1.2, jitter=0.03))
    failed = [c for c in compare_dirs(base, cur) if not c.passed]
    assert [(c.metric, round(c.delta_pct)) for c in failed] == [("p99_ns", 20)]


def test_regress_throughput_drop_and_any_unrecovered_message_fail(tmp_path):
    base = make_runs(tmp_path / "a", [FIGURES])
    cur = make_runs(tmp_path / "b", [dict(FIGURES, batch_msgs_per_s=8_500_000, feed_unrecovered_1pct=1)])
    failed = {c.metric for c in compare_dirs(base, cur) if not c.passed}
    assert failed == {"batch_msgs_per_s", "feed_unrecovered_1pct"}


def test_regress_improvement_passes_and_thresholds_are_configurable(tmp_path):
    base = make_runs(tmp_path / "a", [FIGURES])
    cur = make_runs(tmp_path / "b", [dict(FIGURES, p99_ns=400, p999_ns=1000)])  # p999 +11%
    assert {c.metric for c in compare_dirs(base, cur) if not c.passed} == {"p999_ns"}
    assert all(c.passed for c in compare_dirs(base, cur, {"engine.p999_ns": 15}))


def test_regress_missing_metric_is_an_error_naming_it(tmp_path):
    base = make_runs(tmp_path / "a", [FIGURES])
    partial = {k: v for k, v in FIGURES.items() if k != "p999_ns"}
    cur = make_runs(tmp_path / "b", [partial])
    with pytest.raises(ConfigError, match=r"missing in current: engine.p999_ns"):
        compare_dirs(base, cur)


def test_regress_different_scenario_versions_refused(tmp_path):
    base = make_runs(tmp_path / "a", [FIGURES], version="1")
    cur = make_runs(tmp_path / "b", [FIGURES], version="2")
    with pytest.raises(ConfigError, match="scenario version '1'.*'2'"):
        compare_dirs(base, cur)


def test_regress_empty_or_malformed_directories_refused(tmp_path):
    (tmp_path / "empty").mkdir()
    base = make_runs(tmp_path / "a", [FIGURES])
    with pytest.raises(ConfigError, match="no perf.csv"):
        compare_dirs(base, tmp_path / "empty")
    with pytest.raises(ConfigError, match="not a directory"):
        compare_dirs(base, tmp_path / "nowhere")
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "perf.csv").write_text("suite,metric,unit,value,conditions\nengine,p99_ns,ns,fast,full\n")
    with pytest.raises(ConfigError, match=r"perf.csv:2: value 'fast' is not a number"):
        compare_dirs(base, bad)


def test_regress_report_files_and_cli_exit_codes(tmp_path):
    base = make_runs(tmp_path / "a", noisy(jitter=0.02))
    cur = make_runs(tmp_path / "b", noisy(scale_p99=1.2, jitter=0.02))
    csv_path, md_path = write_report(compare_dirs(base, cur), tmp_path / "report")
    assert "FAIL" in csv_path.read_text() and "**FAIL**" in md_path.read_text()
    cmd = [sys.executable, "-m", "hftsim.cli", "regress"]
    assert subprocess.run([*cmd, str(base), str(base)], capture_output=True, timeout=60).returncode == 0
    done = subprocess.run([*cmd, str(base), str(cur)], capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and "REGRESSION engine.p99_ns" in done.stdout
    done = subprocess.run(
        [*cmd, str(base), str(tmp_path / "nowhere")], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 2 and "error:" in done.stderr and "Traceback" not in done.stderr
