"""hftsim bench hawkes: the fixed-seed accuracy figure plus its spread over extra samples."""

import math

from hftsim.bench import hawkes as bench


def test_bench_hawkes_quick_reports_fixed_seed_figure_and_spread():
    alone = bench.run(quick=True, extra_samples=0)
    result = bench.run(quick=True, extra_samples=2)
    assert result["n_events"] == 100_000
    assert result["fit_converged"] is True
    # the extra samples never move the fixed-seed figures
    for key in ("fit_max_rel_error", "fit_max_abs_z", "n_events"):
        assert result[key] == alone[key]
    assert alone["fit_samples"] == 1
    assert alone["fit_max_rel_error_median"] == alone["fit_max_rel_error"]
    assert alone["fit_outside_1pct_share"] == float(alone["fit_max_rel_error"] > 0.01)
    assert result["fit_samples"] == 3
    assert any(math.isclose(result["fit_outside_1pct_share"], k / 3) for k in range(4))
    # 100k events: every relative error is a few standard errors (about 2% for the weakest norm)
    assert 0.0 < result["fit_max_rel_error_median"] < 0.1
    assert 0.0 < result["fit_max_rel_error"] < 0.1
    assert result["fit_max_abs_z"] < 5.0


def test_bench_hawkes_default_spread_is_small():
    assert 1 <= bench.EXTRA_SAMPLES <= 5
