"""The O(n D U) recursion against the naive O(n^2) double sum, and its derivatives."""

import numpy as np
import pytest

from hftsim.core.errors import ConfigError
from hftsim.core.rng import rng_for
from hftsim.flow.hawkes import (
    HawkesParams,
    log_likelihood,
    log_likelihood_derivatives,
    pack_params,
    simulate,
    unpack_params,
)
from hftsim.flow.hawkes.reference import log_likelihood_naive


def _sample(params, horizon, seed):
    return simulate(params, horizon, rng_for(seed, "test.hawkes"))


@pytest.mark.parametrize("seed", [1, 2])
def test_loglik_recursion_equals_naive_sum(ref_params, two_decay_params, seed):
    for params in (ref_params, two_decay_params):
        times, marks = _sample(params, 150.0, seed)
        assert times.size > 100
        # evaluate at parameters other than the generating ones too
        other = HawkesParams.create(params.mu * 1.3, params.alpha * 0.8, params.beta * 1.7)
        for p in (params, other):
            fast = log_likelihood(p, times, marks, 160.0)
            naive = log_likelihood_naive(p, times, marks, 160.0)
            assert fast == pytest.approx(naive, rel=1e-9, abs=0)


def _naive_of(theta, d, u, times, marks, horizon):
    mu, alpha, beta = unpack_params(theta, d, u)
    return log_likelihood_naive(HawkesParams.create(mu, alpha, beta), times, marks, horizon)


def test_loglik_gradient_matches_finite_differences_of_naive(two_decay_params):
    times, marks = _sample(two_decay_params, 60.0, 3)
    theta = pack_params(two_decay_params)
    _, grad, _ = log_likelihood_derivatives(two_decay_params, times, marks, 60.0, order=1)
    h = 1e-6
    fd = np.array(
        [
            (
                _naive_of(theta + h * e, 2, 2, times, marks, 60.0)
                - _naive_of(theta - h * e, 2, 2, times, marks, 60.0)
            )
            / (2 * h)
            for e in np.eye(theta.size)
        ]
    )
    np.testing.assert_allclose(grad, fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max())


def test_loglik_hessian_matches_finite_differences_of_gradient(two_decay_params):
    times, marks = _sample(two_decay_params, 60.0, 4)
    theta = pack_params(two_decay_params)
    _, _, hess = log_likelihood_derivatives(two_decay_params, times, marks, 60.0, order=2)

    def grad_at(th):
        mu, alpha, beta = unpack_params(th, 2, 2)
        return log_likelihood_derivatives(HawkesParams.create(mu, alpha, beta), times, marks, 60.0, order=1)[
            1
        ]

    h = 1e-6
    fd = np.array([(grad_at(theta + h * e) - grad_at(theta - h * e)) / (2 * h) for e in np.eye(theta.size)])
    np.testing.assert_allclose(hess, fd, rtol=1e-5, atol=1e-5 * np.abs(fd).max())
    np.testing.assert_array_equal(hess, hess.T)


def test_loglik_orders_agree_on_value(ref_params):
    times, marks = _sample(ref_params, 100.0, 5)
    values = [log_likelihood_derivatives(ref_params, times, marks, 100.0, order=o)[0] for o in (0, 1, 2)]
    assert values[0] == values[1] == values[2]


def test_loglik_unsorted_times_raise_config_error(ref_params):
    with pytest.raises(ConfigError, match="not sorted at index 2"):
        log_likelihood(ref_params, np.array([0.1, 0.5, 0.3]), np.array([0, 1, 0]))


def test_loglik_mark_out_of_range_raises(ref_params):
    with pytest.raises(ConfigError, match=r"marks: expected values in \[0, 2\)"):
        log_likelihood(ref_params, np.array([0.1, 0.5]), np.array([0, 2]))


def test_loglik_horizon_before_last_event_raises(ref_params):
    with pytest.raises(ConfigError, match="horizon_s = 0.2 is before the last event"):
        log_likelihood(ref_params, np.array([0.1, 0.5]), np.array([0, 1]), 0.2)
