"""Maximum likelihood: recovery within standard errors, fixed decays, optimizer agreement."""

import numpy as np
import pytest

from hftsim.core.errors import ConfigError
from hftsim.core.rng import rng_for
from hftsim.flow.hawkes import fit, log_likelihood, pack_params, simulate_n


def _z(result, params, fit_decays=True):
    est = np.concatenate([result.baselines, result.norms.ravel(), result.decays])
    se = np.concatenate([result.baselines_se, result.norms_se.ravel(), result.decays_se])
    truth = pack_params(params)
    free = slice(None) if fit_decays else slice(0, -params.n_decays)
    return (est[free] - truth[free]) / se[free]


@pytest.fixture(scope="module")
def ref_sample():
    from hftsim.flow.hawkes import HawkesParams

    params = HawkesParams.create([0.4, 0.3], [[0.5, 0.2], [0.3, 0.4]], [3.0])
    return params, simulate_n(params, 40_000, rng_for(31, "flow.hawkes"))


@pytest.mark.slow
def test_fit_recovers_reference_within_standard_errors(ref_sample):
    params, (times, marks) = ref_sample
    result = fit(times, marks)
    assert result.converged
    z = _z(result, params)
    assert np.all(np.isfinite(z)) and np.all(np.abs(z) < 4.0), z
    assert np.all(result.baselines_se > 0) and np.all(result.decays_se > 0)
    # the optimum beats the truth on the same data
    assert result.log_likelihood >= log_likelihood(params, times, marks, result.horizon_s)


def test_fit_known_decay_keeps_it_and_recovers_rest(ref_sample):
    params, (times, marks) = ref_sample
    result = fit(times, marks, decays=[3.0], fit_decays=False)
    assert result.converged
    np.testing.assert_array_equal(result.decays, [3.0])
    assert np.all(np.isnan(result.decays_se))
    assert np.all(np.abs(_z(result, params, fit_decays=False)) < 4.0)


@pytest.mark.slow
def test_fit_lbfgs_agrees_with_newton(ref_sample):
    _, (times, marks) = ref_sample
    newton = fit(times, marks, decays=[2.0])
    lbfgs = fit(times, marks, decays=[2.0], method="lbfgs")
    np.testing.assert_allclose(lbfgs.norms, newton.norms, rtol=1e-3)
    np.testing.assert_allclose(lbfgs.decays, newton.decays, rtol=1e-3)
    assert lbfgs.log_likelihood == pytest.approx(newton.log_likelihood, abs=1e-4)


def test_fit_standard_errors_shrink_like_root_n(ref_sample):
    _, (times, marks) = ref_sample
    small = fit(times[:10_000], marks[:10_000], decays=[3.0])
    large = fit(times, marks, decays=[3.0])
    ratio = small.norms_se / large.norms_se
    assert np.all((ratio > 1.5) & (ratio < 2.7)), ratio  # sqrt(4) = 2


@pytest.mark.slow
def test_fit_two_decays_recovers_within_standard_errors(two_decay_params):
    times, marks = simulate_n(two_decay_params, 200_000, rng_for(32, "flow.hawkes"))
    result = fit(times, marks, decays=[0.5, 10.0])
    assert result.converged
    z = _z(result, two_decay_params)
    assert np.all(np.abs(z) < 4.5), z


def test_fit_fixed_decays_without_values_raises(ref_sample):
    _, (times, marks) = ref_sample
    with pytest.raises(ConfigError, match="fit_decays=False needs decays"):
        fit(times, marks, fit_decays=False)


def test_fit_negative_decay_guess_raises(ref_sample):
    _, (times, marks) = ref_sample
    with pytest.raises(ConfigError, match=r"decays = \[-1.0\]"):
        fit(times, marks, decays=[-1.0])
