"""The OMS benchmark runs and compares like with like (its timing is not asserted here)."""

from __future__ import annotations

import pytest

from hftsim.bench import oms as bench


@pytest.mark.slow
def test_bench_oms_quick_run_reports_overhead_for_identical_decisions():
    result = bench.run(quick=True, repeats=1)
    assert set(result) >= {"decision_overhead_us", "with_oms_us_per_decision", "baseline_us_per_decision"}
    assert result["decisions"] == 5_000
    assert result["commands_with_oms"] == result["commands_baseline"] > 5_000
    assert result["budget_us"] == bench.BUDGET_US == 5.0
