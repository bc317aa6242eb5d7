"""Almgren & Chriss (2000): the paper's worked example and internal consistency."""

import numpy as np
import pytest

from hftsim.trading.models import (
    ac_cost_variance,
    ac_efficient_frontier,
    ac_expected_cost,
    ac_half_life,
    ac_kappa,
    ac_optimal_trajectory,
    optimal_cost_closed_form,
)

# Almgren & Chriss (2000), section 1.5 and Table 1 (p. 25): S0 = 50, X = 1e6 shares, T = 5 days, N = 5,
# 30% annual volatility -> sigma = 0.3 * 50 / sqrt(250) = 0.95 $/share/day^0.5 (the paper prints 0.95),
# spread 1/8 -> epsilon = 1/16, 1% of the 5M daily volume moves the price by one spread -> eta = 2.5e-6,
# 10% of daily volume moves it permanently by one spread -> gamma = 2.5e-7, lambda = 1e-6 per $.
S0, X, T_DAYS, N = 50.0, 1e6, 5.0, 5
TAU = T_DAYS / N
SIGMA = 0.3 * S0 / np.sqrt(250.0)
EPSILON, ETA, GAMMA, LAMBDA = 1.0 / 16.0, 2.5e-6, 2.5e-7, 1e-6


def test_example_parameters_derive_to_the_papers_table_1_values():
    assert SIGMA == pytest.approx(0.95, abs=0.005)  # Table 1 prints 0.95
    assert (1 / 8) / (0.01 * 5e6) == ETA
    assert (1 / 8) / (0.10 * 5e6) == GAMMA


def test_example_kappa_matches_papers_printed_kappa_and_kappa_t():
    # The paper (p. 24): "kappa ~ 0.6/day, so kappa T ~ 3". Printed to one significant figure.
    kappa = ac_kappa(LAMBDA, SIGMA, ETA, GAMMA, TAU)
    assert round(kappa, 1) == 0.6
    assert round(kappa * T_DAYS) == 3
    # exact discrete kappa solves cosh(kappa tau) = 1 + kappa_tilde^2 tau^2 / 2
    kappa_tilde_sq = LAMBDA * SIGMA**2 / (ETA - 0.5 * GAMMA * TAU)
    assert np.cosh(kappa * TAU) == pytest.approx(1 + 0.5 * kappa_tilde_sq * TAU**2, rel=1e-12)
    assert ac_half_life(kappa) == pytest.approx(1.0 / kappa)
    assert 1.6 < ac_half_life(kappa) < 1.7


def test_example_untraded_risk_matches_papers_2_12_dollars_per_share():
    # The paper (p. 24): holding the position to T has sigma sqrt(T) = 2.12 $/share.
    assert SIGMA * np.sqrt(T_DAYS) == pytest.approx(2.12, abs=0.005)


def test_example_optimal_cost_direct_sums_equal_closed_form_eq_20():
    path = ac_optimal_trajectory(X, N, TAU, SIGMA, ETA, GAMMA, LAMBDA)
    expected = ac_expected_cost(path.holdings, TAU, ETA, GAMMA, EPSILON)
    variance = ac_cost_variance(path.holdings, TAU, SIGMA)
    closed_expected, closed_variance = optimal_cost_closed_form(X, N, TAU, SIGMA, ETA, GAMMA, EPSILON, LAMBDA)
    assert expected == pytest.approx(closed_expected, rel=1e-10)
    assert variance == pytest.approx(closed_variance, rel=1e-10)
    # Linear trajectory (eq. 10): 1/2 gamma X^2 + eps X + eta_tilde X^2 / T = $662,500.
    linear = ac_optimal_trajectory(X, N, TAU, SIGMA, ETA, GAMMA, 0.0)
    assert ac_expected_cost(linear.holdings, TAU, ETA, GAMMA, EPSILON) == pytest.approx(662_500.0, rel=1e-12)


def test_optimal_trajectory_minimises_utility_against_perturbations():
    path = ac_optimal_trajectory(X, N, TAU, SIGMA, ETA, GAMMA, LAMBDA)

    def utility(holdings):
        return ac_expected_cost(holdings, TAU, ETA, GAMMA, 0.0) + LAMBDA * ac_cost_variance(
            holdings, TAU, SIGMA
        )

    best = utility(path.holdings)
    rng = np.random.default_rng(np.random.SeedSequence(11))
    for _ in range(50):
        bumped = path.holdings.copy()
        bumped[1:-1] += rng.normal(0.0, 5_000.0, N - 1)
        assert utility(bumped) > best


def test_optimal_trajectory_satisfies_difference_equation_eq_16():
    path = ac_optimal_trajectory(X, N, TAU, SIGMA, ETA, GAMMA, LAMBDA)
    x = path.holdings
    kappa_tilde_sq = LAMBDA * SIGMA**2 / (ETA - 0.5 * GAMMA * TAU)
    second_difference = (x[:-2] - 2 * x[1:-1] + x[2:]) / TAU**2
    np.testing.assert_allclose(second_difference, kappa_tilde_sq * x[1:-1], rtol=1e-9)
    assert path.trades.sum() == pytest.approx(X)


def test_efficient_frontier_trades_cost_for_variance_monotonically():
    lambdas = np.array([0.0, 1e-7, 1e-6, 1e-5])
    expected, variance = ac_efficient_frontier(lambdas, X, N, TAU, SIGMA, ETA, GAMMA, EPSILON)
    assert np.all(np.diff(expected) > 0)
    assert np.all(np.diff(variance) < 0)
