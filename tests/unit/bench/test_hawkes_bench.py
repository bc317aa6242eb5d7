"""hftsim bench hawkes: the fixed-seed accuracy figure plus its spread over extra samples."""

import math

import numpy as np
from scipy.stats import norm

from hftsim.bench import hawkes as bench
from hftsim.core.rng import rng_for


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
    # 100k events: relative sds of 1-2%, so an efficient fit rarely has all seven within 1%
    assert 0.0 <= result["fit_crb_within_1pct_prob"] < 0.2
    assert result["fit_crb_within_1pct_prob"] == alone["fit_crb_within_1pct_prob"]


def test_bench_hawkes_default_spread_has_enough_samples_for_a_share():
    # share standard error sqrt(p (1 - p) / n) at p = 0.16 stays under 0.1
    assert math.sqrt(0.16 * 0.84 / (bench.EXTRA_SAMPLES + 1)) < 0.1


def test_prob_all_within_matches_product_of_normal_probabilities_when_independent():
    truth = np.array([0.4, 0.2, 3.0])
    sd = np.array([0.002, 0.0015, 0.02])
    expected = float(np.prod(2.0 * norm.cdf(0.01 * truth / sd) - 1.0))
    got = bench.prob_all_within(truth, np.diag(sd**2), 0.01, rng_for(1, "test.crb"), 200_000)
    assert abs(got - expected) < 0.005


def test_prob_all_within_counts_correlation():
    truth = np.array([1.0, 1.0])
    sd = 0.01
    independent = bench.prob_all_within(truth, np.diag([sd**2, sd**2]), 0.01, rng_for(2, "test.crb"), 200_000)
    together = np.array([[1.0, 0.999], [0.999, 1.0]]) * sd**2
    correlated = bench.prob_all_within(truth, together, 0.01, rng_for(2, "test.crb"), 200_000)
    # one sd each: 0.683 alone, 0.466 independent; nearly identical errors miss together
    assert abs(independent - 0.683**2) < 0.005
    assert abs(correlated - 0.683) < 0.01
