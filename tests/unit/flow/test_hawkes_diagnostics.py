"""Time-rescaling residuals, KS p-values and the QQ plot."""

import numpy as np
import pytest

from hftsim.core.rng import rng_for
from hftsim.flow.hawkes import HawkesParams, ks_pvalues, qq_plot, residuals, simulate


@pytest.mark.parametrize("seed", [41, 42])
def test_ks_true_model_pvalues_not_tiny(two_decay_params, seed):
    times, marks = simulate(two_decay_params, 4_000.0, rng_for(seed, "flow.hawkes"))
    pvalues = ks_pvalues(two_decay_params, times, marks, 4_000.0)
    assert pvalues.shape == (2,)
    assert np.all(pvalues > 1e-3), pvalues


def test_ks_wrong_model_pvalues_tiny(ref_params):
    times, marks = simulate(ref_params, 4_000.0, rng_for(43, "flow.hawkes"))
    slow_decay = HawkesParams.create(ref_params.mu, ref_params.alpha, [0.3])
    poisson = HawkesParams.create(times.size / 4_000.0 * np.array([0.5, 0.5]), np.zeros((2, 2)), [3.0])
    for wrong in (slow_decay, poisson):
        assert np.all(ks_pvalues(wrong, times, marks) < 1e-6)


def test_residuals_sum_to_compensator_per_dimension(ref_params):
    times, marks = simulate(ref_params, 300.0, rng_for(44, "flow.hawkes"))
    res = residuals(ref_params, times, marks)
    for i in range(2):
        last = times[marks == i][-1]
        # Lambda_i(last) by direct summation of mu t + alpha (1 - e^{-beta (last - t_l)})
        past = times < last
        direct = ref_params.mu[i] * last + np.sum(
            ref_params.alpha[i, marks[past], 0] * (1 - np.exp(-3.0 * (last - times[past])))
        )
        assert res[i].sum() == pytest.approx(direct, rel=1e-10)
        assert res[i].size == np.count_nonzero(marks == i)


@pytest.mark.slow
def test_qq_plot_writes_png(ref_params, tmp_path):
    times, marks = simulate(ref_params, 200.0, rng_for(45, "flow.hawkes"))
    path = qq_plot(residuals(ref_params, times, marks), tmp_path / "qq.png")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert [p.name for p in tmp_path.iterdir()] == ["qq.png"]
