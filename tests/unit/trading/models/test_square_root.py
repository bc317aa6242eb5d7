"""Square-root impact law fit: recovery of known Y and delta, and calibrated standard errors."""

import numpy as np
import pytest

from hftsim.core.rng import rng_for
from hftsim.trading.models import fit_square_root_law, square_root_impact

Y_TRUE, DELTA_TRUE, SIGMA, VOLUME = 0.7, 0.5, 0.02, 1.0e6


def _samples(n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    sizes = VOLUME * 10 ** rng.uniform(-4, -1, n)
    impacts = square_root_impact(sizes, VOLUME, SIGMA, Y_TRUE, DELTA_TRUE) * np.exp(
        0.3 * rng.standard_normal(n)
    )
    return sizes, impacts


def test_fit_recovers_prefactor_and_exponent_within_standard_errors():
    sizes, impacts = _samples(2000, rng_for(5, "sqrt.fit"))
    fit = fit_square_root_law(sizes, impacts, VOLUME, SIGMA)
    assert abs(fit.exponent - DELTA_TRUE) < 4 * fit.exponent_stderr
    assert abs(fit.prefactor - Y_TRUE) < 4 * fit.prefactor_stderr
    assert fit.exponent_stderr < 0.01 and fit.n_samples == 2000


def test_fit_standard_errors_have_nominal_coverage():
    rng = rng_for(6, "sqrt.coverage")
    covered = 0
    for _ in range(400):
        sizes, impacts = _samples(100, rng)
        fit = fit_square_root_law(sizes, impacts, VOLUME, SIGMA)
        covered += abs(fit.exponent - DELTA_TRUE) < 1.96 * fit.exponent_stderr
    assert covered / 400 == pytest.approx(0.95, abs=0.035)
