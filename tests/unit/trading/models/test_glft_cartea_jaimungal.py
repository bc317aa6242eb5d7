"""Gueant-Lehalle-Fernandez-Tapia (2013) and Cartea-Jaimungal-Penalva (2015, ch. 10) depths."""

import numpy as np
import pytest

from hftsim.trading.models import cjp_depths, glft_approx_depths, glft_exact_depths

# Illustrative parameters of Gueant, Lehalle & Fernandez-Tapia (2013), section 6:
# sigma = 0.3 tick/s^0.5, A = 0.9 /s, k = 0.3 /tick, gamma = 0.01 /tick.
GAMMA, SIGMA, A, K = 0.01, 0.3, 0.9, 0.3


def test_glft_approximation_close_to_exact_ode_solution_for_small_inventory():
    q, bid, ask = glft_exact_depths(3600.0, 30, GAMMA, SIGMA, A, K)
    approx_bid, approx_ask = glft_approx_depths(q, GAMMA, SIGMA, A, K)
    small = np.abs(q) <= 3
    slope = np.diff(approx_bid[small]).mean()
    assert np.max(np.abs(bid[small] - approx_bid[small])) < 0.05 * slope
    assert np.max(np.abs(ask[small] - approx_ask[small])) < 0.05 * slope
    # the inventory skew itself agrees to 1 %
    assert np.diff(bid[small]).mean() == pytest.approx(slope, rel=0.01)


def test_glft_exact_depths_have_no_quote_beyond_the_inventory_limit_and_are_symmetric():
    q, bid, ask = glft_exact_depths(100.0, 5, GAMMA, SIGMA, A, K)
    assert np.isnan(bid[-1]) and np.isnan(ask[0])
    np.testing.assert_allclose(bid[:-1], ask[1:][::-1], rtol=1e-10)
    assert np.all(np.diff(bid[:-1]) > 0)  # longer inventory -> bid further away


def test_glft_terminal_depths_equal_the_myopic_depth():
    _, bid, _ = glft_exact_depths(0.0, 5, GAMMA, SIGMA, A, K)
    np.testing.assert_allclose(bid[:-1], np.log1p(GAMMA / K) / GAMMA, rtol=1e-12)


def test_cjp_terminal_depths_match_closed_form_limit():
    kappa, alpha = 100.0, 0.001
    q, ask, bid = cjp_depths(0.0, kappa, 1.0, 1.0, 1e-5, alpha, -10, 10)
    np.testing.assert_allclose(ask[1:], 1 / kappa - alpha * (2 * q[1:] - 1), rtol=1e-10)
    np.testing.assert_allclose(bid[:-1], 1 / kappa + alpha * (2 * q[:-1] + 1), rtol=1e-10)


def test_cjp_without_penalties_far_from_bounds_quotes_one_over_kappa():
    q, ask, bid = cjp_depths(1.0, 100.0, 1.0, 1.0, 0.0, 0.0, -40, 40)
    centre = np.abs(q) <= 2
    np.testing.assert_allclose(ask[centre], 0.01, atol=1e-9)
    np.testing.assert_allclose(bid[centre], 0.01, atol=1e-9)


def test_cjp_with_running_penalty_equals_glft_up_to_a_constant_shift():
    # phi = gamma sigma^2 / 2, kappa = k and lambda e^-1 = A (1 + gamma/k)^-(1 + k/gamma) make the two
    # linear ODE systems identical; only the constant depth term differs (1/kappa vs (1/gamma) ln(1+gamma/k)).
    rate = A * np.e * (1 + GAMMA / K) ** (-(1 + K / GAMMA))
    _, ask, bid = cjp_depths(600.0, K, rate, rate, GAMMA * SIGMA**2 / 2, 0.0, -10, 10)
    _, glft_bid, glft_ask = glft_exact_depths(600.0, 10, GAMMA, SIGMA, A, K)
    shift = 1 / K - np.log1p(GAMMA / K) / GAMMA
    np.testing.assert_allclose(ask[1:], glft_ask[1:] + shift, atol=1e-10)
    np.testing.assert_allclose(bid[:-1], glft_bid[:-1] + shift, atol=1e-10)


def test_cjp_long_horizon_depths_are_stationary():
    _, ask_a, _ = cjp_depths(500.0, 100.0, 1.0, 1.0, 1e-5, 0.01, -5, 5)
    _, ask_b, _ = cjp_depths(5000.0, 100.0, 1.0, 1.0, 1e-5, 0.01, -5, 5)
    np.testing.assert_allclose(ask_a[1:], ask_b[1:], atol=1e-9)
