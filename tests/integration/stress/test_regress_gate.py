"""The regression gate on real stress results (slow).

Pass case: two real ``loss --quick`` runs of this build compared with the stress thresholds pass
(single runs, not medians: the loss drill's gated figures are counts and a median latency dominated
by the handler's 1 ms request delay, which are stable run to run). Fail case: a copy of the first run
with every latency 20% higher fails, and the report names the metrics.
"""

import csv
import shutil

import pytest

from tests.integration.stress._cli import run

pytestmark = pytest.mark.slow


def _plant(src, dst, factor):
    shutil.copytree(src, dst)
    path = dst / "perf.csv"
    rows = list(csv.DictReader(path.open()))
    for r in rows:
        if r["unit"] in ("us", "ms", "ns"):
            r["value"] = str(float(r["value"]) * factor)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)


def test_regress_two_real_runs_pass_planted_20pct_fails(tmp_path):
    for run_id in ("a", "b"):
        done = run(f"hftsim stress loss --quick --out {tmp_path} --run-id {run_id}", tmp_path)
        assert done.returncode == 0, done.stdout + done.stderr
    same = run(f"hftsim stress compare {tmp_path / 'a'} {tmp_path / 'b'}", tmp_path)
    assert same.returncode == 0, same.stdout + same.stderr
    assert "0 regressed" in same.stdout
    _plant(tmp_path / "a", tmp_path / "slow", 1.2)
    slow = run(f"hftsim regress {tmp_path / 'a'} {tmp_path / 'slow'}", tmp_path)
    assert slow.returncode == 1, slow.stdout + slow.stderr
    assert "REGRESSION loss.gap_fill_p50_ms" in slow.stdout
    assert "FAIL" in (tmp_path / "slow" / "regression_report.md").read_text()
    gated = run(f"hftsim stress compare {tmp_path / 'a'} {tmp_path / 'slow'}", tmp_path)
    assert gated.returncode == 1 and "REGRESSION loss.gap_fill_p50_ms" in gated.stdout


def test_regress_other_scenario_version_refused(tmp_path):
    done = run(f"hftsim stress loss --quick --out {tmp_path} --run-id a", tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    shutil.copytree(tmp_path / "a", tmp_path / "b")
    meta = tmp_path / "b" / "meta.json"
    meta.write_text(meta.read_text().replace('"1-quick"', '"2-quick"'))
    for command in ("hftsim regress", "hftsim stress compare"):
        done = run(f"{command} {tmp_path / 'a'} {tmp_path / 'b'}", tmp_path)
        assert done.returncode == 2 and "'1-quick'" in done.stderr and "'2-quick'" in done.stderr, done.stderr
