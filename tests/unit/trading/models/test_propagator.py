"""Bouchaud et al. (2004) propagator: recovery of a known kernel from synthetic trades."""

import numpy as np

from hftsim.core.rng import rng_for
from hftsim.trading.models import estimate_propagator, response_function, sign_autocorrelation

LAGS = 20
TRUE_INCREMENTS = 0.5 * (1.0 + np.arange(LAGS)) ** -1.2  # g(k) = G(k+1) - G(k), zero for k >= LAGS
TRUE_KERNEL = np.concatenate([[0.0], np.cumsum(TRUE_INCREMENTS)])


def _synthetic(n_trades: int, persistence: float, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Markov signs (kept with probability p, so C(l) = p^l) and the mid p_n before each trade."""
    rng = rng_for(seed, "propagator.synthetic")
    signs = np.where(rng.random(n_trades) < 0.5, 1.0, -1.0)
    is_kept = rng.random(n_trades) < persistence
    for n in range(1, n_trades):
        if is_kept[n]:
            signs[n] = signs[n - 1]
    moves = np.convolve(signs, TRUE_INCREMENTS)[:n_trades] + 0.3 * rng.standard_normal(n_trades)
    mid = np.concatenate([[0.0], np.cumsum(moves)[:-1]])  # p_{n+1} - p_n = sum_k g(k) eps_{n-k} + noise
    return signs, mid


def test_sign_autocorrelation_of_markov_signs_is_geometric():
    signs, _ = _synthetic(100_000, 0.7, 1)
    np.testing.assert_allclose(sign_autocorrelation(signs, 5), 0.7 ** np.arange(6), atol=0.02)


def test_estimate_propagator_recovers_known_kernel():
    signs, mid = _synthetic(200_000, 0.7, 2)
    estimate = estimate_propagator(signs, mid, LAGS)
    assert estimate.shape == (LAGS + 1,)
    np.testing.assert_allclose(estimate, TRUE_KERNEL, atol=0.03 * TRUE_KERNEL[-1])
    # persistent signs make the response R(l) larger than the bare propagator G(l)
    assert response_function(signs, mid, LAGS)[-1] > 1.5 * TRUE_KERNEL[-1]


def test_estimate_propagator_with_shuffled_signs_finds_no_impact():
    signs, mid = _synthetic(100_000, 0.7, 3)
    shuffled = rng_for(3, "propagator.shuffle").permutation(signs)
    assert np.max(np.abs(estimate_propagator(shuffled, mid, LAGS))) < 0.1 * TRUE_KERNEL[-1]
