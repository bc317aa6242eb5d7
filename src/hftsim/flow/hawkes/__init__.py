"""Multivariate Hawkes processes: parameters, exact simulation, likelihood, MLE and diagnostics.

Cold path (public facade); the compiled loops live in ``_kernels`` (hot path). Model::

    lambda_i(t) = mu_i + sum_j sum_{t_k^j < t} sum_u alpha_iju beta_u e^{-beta_u (t - t_k^j)}

See ``docs/models.md`` ("Hawkes processes") for the maths and references (Hawkes 1971; Ogata 1981;
Ozaki 1979; Bacry, Mastromatteo & Muzy 2015).
"""

from hftsim.flow.hawkes.diagnostics import ks_pvalues, qq_plot, residuals
from hftsim.flow.hawkes.fit import HawkesFit, fit
from hftsim.flow.hawkes.likelihood import (
    check_events,
    log_likelihood,
    log_likelihood_derivatives,
    pack_params,
    unpack_params,
)
from hftsim.flow.hawkes.params import (
    HawkesParams,
    branching_matrix,
    power_law_sum_of_exponentials,
    spectral_radius,
    stationary_intensity,
)
from hftsim.flow.hawkes.simulate import simulate, simulate_n

__all__ = [
    "HawkesFit",
    "HawkesParams",
    "branching_matrix",
    "check_events",
    "fit",
    "ks_pvalues",
    "log_likelihood",
    "log_likelihood_derivatives",
    "pack_params",
    "power_law_sum_of_exponentials",
    "qq_plot",
    "residuals",
    "simulate",
    "simulate_n",
    "spectral_radius",
    "stationary_intensity",
    "unpack_params",
]
