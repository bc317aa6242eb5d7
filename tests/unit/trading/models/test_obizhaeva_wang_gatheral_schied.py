"""Obizhaeva-Wang (2013) closed forms against the Gatheral-Schied quadratic program."""

import numpy as np
import pytest

from hftsim.trading.models import (
    exponential_kernel,
    ow_discrete_schedule,
    ow_expected_cost,
    ow_optimal_schedule,
    ow_schedule_cost,
    power_law_kernel,
    transient_impact_cost,
    transient_optimal_schedule,
)

SHARES, HORIZON, RHO, KAPPA = 1.0e5, 1.0, 5.0, 2.0e-5


def test_ow_continuous_schedule_blocks_and_rate_add_up():
    schedule = ow_optimal_schedule(SHARES, HORIZON, RHO)
    assert schedule.initial_block == pytest.approx(SHARES / (RHO * HORIZON + 2))
    assert schedule.final_block == schedule.initial_block
    assert schedule.rate == pytest.approx(RHO * SHARES / (RHO * HORIZON + 2))
    total = schedule.initial_block + schedule.rate * HORIZON + schedule.final_block
    assert total == pytest.approx(SHARES)


@pytest.mark.parametrize("n_intervals", [1, 4, 50, 400])
def test_gatheral_schied_qp_with_exponential_kernel_equals_discrete_ow_closed_form(n_intervals):
    times = np.linspace(0.0, HORIZON, n_intervals + 1)
    kernel = exponential_kernel(RHO, KAPPA)
    qp = transient_optimal_schedule(SHARES, times, kernel)
    np.testing.assert_allclose(qp, ow_discrete_schedule(SHARES, HORIZON, RHO, n_intervals), rtol=1e-9)
    assert transient_impact_cost(qp, times, kernel) == pytest.approx(ow_schedule_cost(qp, times, RHO, KAPPA))


def test_qp_blocks_and_cost_converge_to_ow_continuous_closed_form_as_grid_refines():
    closed = ow_optimal_schedule(SHARES, HORIZON, RHO)
    closed_cost = ow_expected_cost(SHARES, HORIZON, RHO, KAPPA)
    block_errors, cost_errors = [], []
    for n in (25, 100, 400):
        times = np.linspace(0.0, HORIZON, n + 1)
        qp = transient_optimal_schedule(SHARES, times, exponential_kernel(RHO, KAPPA))
        block_errors.append(abs(qp[0] - closed.initial_block) / closed.initial_block)
        cost_errors.append(transient_impact_cost(qp, times, exponential_kernel(RHO, KAPPA)) / closed_cost - 1)
        assert qp[-1] == pytest.approx(qp[0], rel=1e-9)
        assert np.mean(qp[1:-1]) * n / HORIZON == pytest.approx(closed.rate, rel=2 * block_errors[-1] + 1e-9)
    assert block_errors[-1] < 1e-2
    assert block_errors[0] / block_errors[-1] > 12  # first-order convergence: 16x finer grid
    assert np.all(np.diff(block_errors) < 0) and np.all(np.array(cost_errors) > 0)
    assert cost_errors[-1] < 1e-5


def test_ow_expected_cost_adds_spread_and_permanent_terms():
    base = ow_expected_cost(SHARES, HORIZON, RHO, KAPPA)
    assert base == pytest.approx(KAPPA * SHARES**2 / (RHO * HORIZON + 2))
    full = ow_expected_cost(SHARES, HORIZON, RHO, KAPPA, half_spread=0.01, permanent_impact=1e-6)
    assert full - base == pytest.approx(0.01 * SHARES + 0.5e-6 * SHARES**2)


def test_power_law_kernel_schedule_beats_twap_and_is_u_shaped():
    times = np.linspace(0.0, 1.0, 51)
    kernel = power_law_kernel(0.5, 0.05)
    optimal = transient_optimal_schedule(1.0, times, kernel)
    twap = np.full(times.size, 1.0 / times.size)
    assert transient_impact_cost(optimal, times, kernel) < transient_impact_cost(twap, times, kernel)
    assert optimal[0] > optimal[25] and optimal[-1] > optimal[25]
    assert optimal.sum() == pytest.approx(1.0)
