"""Avellaneda & Stoikov (2008): closed forms and a reproduction of the paper's Tables 1-3."""

import numpy as np
import pytest

from hftsim.core.rng import rng_for
from hftsim.trading.models import (
    as_optimal_quotes,
    as_optimal_spread,
    as_reservation_price,
    simulate_as_paper,
)

# Published figures: Avellaneda, M. and Stoikov, S. (2008), Quantitative Finance 8(3), 217-224, Tables 1-3
# (pp. 222-223), 1000 simulations each: (average spread, mean profit, std profit, mean final q, std final q).
# The published tables use gamma = 0.1, 0.01 and 1. The October 2006 preprint instead prints gamma = 0.1,
# 0.01 and 0.5 with spreads 1.29 / 1.33 / 1.15; those are not reproduced by the model as printed (see the
# report in docs/models_trading.md) and are not tested here.
PUBLISHED = {
    (0.1, "inventory"): (1.49, 65.0, 6.6, 0.08, 2.9),
    (0.1, "symmetric"): (1.49, 68.4, 12.7, 0.26, 8.4),
    (0.01, "inventory"): (1.35, 68.6, 8.7, 0.12, 5.1),
    (0.01, "symmetric"): (1.35, 68.8, 12.8, 0.09, 8.7),
    (1.0, "inventory"): (3.02, 31.4, 5.0, 0.02, 1.7),
    (1.0, "symmetric"): (3.02, 44.0, 11.0, 0.00, 5.1),
}
PAPER_PATHS = 1000
OUR_PATHS = 20_000
Z = 4.0  # per-comparison two-sided p ~ 6e-5; 24 comparisons -> family-wise false alarm ~ 0.2 %
ROUNDING = 0.05  # the published figures are rounded to one decimal


def _std_of_std(sample_std: float, kurtosis: float, n: int) -> float:
    # Var(s) ~ sigma^2 (kurtosis - 1) / (4 n) for large n (delta method on the sample variance)
    return sample_std * np.sqrt((kurtosis - 1.0) / (4.0 * n))


def _kurtosis(x: np.ndarray) -> float:
    centred = x - x.mean()
    return float(np.mean(centred**4) / np.mean(centred**2) ** 2)


def test_reservation_price_and_spread_match_equations_29_30():
    assert as_reservation_price(100.0, 5, 0.1, 2.0, 1.0) == pytest.approx(100.0 - 5 * 0.1 * 4.0)
    assert as_optimal_spread(0.1, 2.0, 0.0, 1.5) == pytest.approx(20.0 * np.log(1 + 0.1 / 1.5))
    bid, ask = as_optimal_quotes(100.0, -2, 0.1, 2.0, 0.5, 1.5)
    assert (bid + ask) / 2 == pytest.approx(100.0 + 2 * 0.1 * 4.0 * 0.5)
    assert ask - bid == pytest.approx(as_optimal_spread(0.1, 2.0, 0.5, 1.5))


@pytest.mark.parametrize("gamma", [0.1, 0.01, 1.0])
def test_time_averaged_spread_equals_papers_average_spread_column(gamma):
    averaged = np.mean([as_optimal_spread(gamma, 2.0, 1.0 - t, 1.5) for t in np.arange(200) * 0.005])
    assert averaged == pytest.approx(PUBLISHED[(gamma, "inventory")][0], abs=0.015)


@pytest.mark.slow
@pytest.mark.parametrize("gamma,strategy", sorted(PUBLISHED))
def test_simulate_as_paper_reproduces_published_table_within_monte_carlo_error(gamma, strategy):
    spread, profit_mean, profit_std, q_mean, q_std = PUBLISHED[(gamma, strategy)]
    result = simulate_as_paper(gamma, strategy, OUR_PATHS, rng_for(2008, f"as.{gamma}.{strategy}"))
    assert result.average_spread == pytest.approx(spread, abs=0.015)
    for sample, paper_mean, paper_std in (
        (result.profit, profit_mean, profit_std),
        (result.final_inventory, q_mean, q_std),
    ):
        ours_mean, ours_std, kurtosis = sample.mean(), sample.std(ddof=1), _kurtosis(sample)
        mean_se = np.hypot(paper_std / np.sqrt(PAPER_PATHS), ours_std / np.sqrt(OUR_PATHS))
        std_se = np.hypot(
            _std_of_std(paper_std, kurtosis, PAPER_PATHS), _std_of_std(ours_std, kurtosis, OUR_PATHS)
        )
        assert abs(ours_mean - paper_mean) <= Z * mean_se + ROUNDING, (ours_mean, paper_mean, mean_se)
        assert abs(ours_std - paper_std) <= Z * std_se + ROUNDING, (ours_std, paper_std, std_se)


def test_simulate_as_paper_same_rng_seed_gives_same_samples():
    first = simulate_as_paper(0.1, "inventory", 50, rng_for(1, "as"))
    second = simulate_as_paper(0.1, "inventory", 50, rng_for(1, "as"))
    np.testing.assert_array_equal(first.profit, second.profit)
    np.testing.assert_array_equal(first.final_inventory, second.final_inventory)
