"""Exact simulation: determinism, stationary counts, event budgets."""

import numpy as np
import pytest

from hftsim.core.errors import ConfigError
from hftsim.core.rng import rng_for
from hftsim.flow.hawkes import HawkesParams, branching_matrix, simulate, simulate_n, stationary_intensity
from hftsim.flow.hawkes.simulate import _run


def test_simulate_same_seed_identical_arrays(ref_params):
    first = simulate(ref_params, 500.0, rng_for(11, "flow.hawkes"))
    second = simulate(ref_params, 500.0, rng_for(11, "flow.hawkes"))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    other = simulate(ref_params, 500.0, rng_for(12, "flow.hawkes"))
    assert not np.array_equal(first[0][:10], other[0][:10])


def test_simulate_output_sorted_in_window_with_valid_marks(two_decay_params):
    times, marks = simulate(two_decay_params, 300.0, rng_for(1, "flow.hawkes"))
    assert times.dtype == np.float64 and np.issubdtype(marks.dtype, np.integer)
    assert np.all(np.diff(times) > 0) and times[0] > 0 and times[-1] <= 300.0
    assert set(np.unique(marks)) == {0, 1}


def test_simulate_small_buffers_give_same_sample(ref_params):
    full = simulate(ref_params, 400.0, rng_for(5, "flow.hawkes"))
    chunked = _run(ref_params, 400.0, 37, None, rng_for(5, "flow.hawkes"))
    np.testing.assert_array_equal(full[0], chunked[0])
    np.testing.assert_array_equal(full[1], chunked[1])


def test_simulate_n_is_prefix_of_horizon_sample(ref_params):
    times, marks = simulate(ref_params, 400.0, rng_for(6, "flow.hawkes"))
    first_t, first_m = simulate_n(ref_params, 200, rng_for(6, "flow.hawkes"))
    assert first_t.size == 200
    np.testing.assert_array_equal(first_t, times[:200])
    np.testing.assert_array_equal(first_m, marks[:200])


@pytest.mark.parametrize("params_name", ["ref_params", "two_decay_params"])
def test_simulate_counts_match_stationary_intensity(params_name, request):
    params: HawkesParams = request.getfixturevalue(params_name)
    horizon = 20_000.0
    _, marks = simulate(params, horizon, rng_for(21, "flow.hawkes"))
    counts = np.bincount(marks, minlength=params.dim)
    expected = stationary_intensity(params) * horizon
    # asymptotic covariance of N(T)/T: (I - A)^-1 diag(Lambda) (I - A)^-T (Bacry et al. 2015)
    inv = np.linalg.inv(np.eye(params.dim) - branching_matrix(params))
    sd = np.sqrt(np.diag(inv @ np.diag(stationary_intensity(params)) @ inv.T) * horizon)
    z = (counts - expected) / sd
    assert np.all(np.abs(z) < 4.5), (counts, expected, sd)


def test_simulate_no_excitation_is_poisson():
    params = HawkesParams.create([2.0], [[0.0]], [1.0])
    times, _ = simulate(params, 5_000.0, rng_for(3, "flow.hawkes"))
    gaps = np.diff(times)
    assert abs(times.size - 10_000) < 5 * 100
    assert gaps.mean() == pytest.approx(0.5, rel=0.05)
    assert gaps.std() == pytest.approx(0.5, rel=0.05)


@pytest.mark.parametrize("horizon", [0.0, -1.0, float("inf"), float("nan")])
def test_simulate_bad_horizon_raises(ref_params, horizon):
    with pytest.raises(ConfigError, match="horizon_s"):
        simulate(ref_params, horizon, rng_for(1, "flow.hawkes"))


def test_simulate_n_zero_raises(ref_params):
    with pytest.raises(ConfigError, match="n_events = 0"):
        simulate_n(ref_params, 0, rng_for(1, "flow.hawkes"))
