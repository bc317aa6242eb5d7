"""Optimal execution under transient impact with a general decay kernel, as a quadratic program. Cold path.

Gatheral, J. (2010), "No-dynamic-arbitrage and market impact", Quantitative Finance 10(7), 749-759;
Gatheral, J. and Schied, A. (2013), "Dynamical models of market impact and algorithms for order
execution", in Handbook on Systemic Risk (Fouque and Langsam, eds.), Cambridge University Press, 579-602;
Alfonsi, A., Schied, A. and Slynko, A. (2012), "Order book resilience, price manipulation, and the positive
portfolio problem", SIAM J. Financial Math. 3, 511-533.

Past trades move the price through a decay kernel ``G``:
``S_t = S_0 + int_{s<t} G(t - s) dX_s + noise``.
For block trades ``x_i`` at times ``t_i`` the expected cost is the quadratic form

    C(x) = 1/2 sum_{i,j} x_i x_j G(|t_i - t_j|) = 1/2 x^T M x,

(the diagonal ``G(0)/2`` is the cost of walking a linear book). Minimising ``C`` subject to
``sum x_i = X`` gives the Lagrange condition ``M x = nu 1``, hence ``x* = X M^{-1} 1 / (1^T M^{-1} 1)`` and
``C* = X^2 / (2 1^T M^{-1} 1)``. ``M`` is positive definite when ``G`` is positive definite (e.g. convex,
decreasing, non-constant), which rules out price manipulation. For ``G(t) = kappa exp(-rho t)``
the solution is the discrete Obizhaeva-Wang schedule.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.trading.models._validation import require_non_negative, require_positive

__all__ = [
    "exponential_kernel",
    "impact_matrix",
    "power_law_kernel",
    "transient_impact_cost",
    "transient_optimal_schedule",
]

Kernel = Callable[[np.ndarray], np.ndarray]


def exponential_kernel(resilience: float, impact: float = 1.0) -> Kernel:
    """Return ``G(t) = impact * exp(-resilience t)`` (the Obizhaeva-Wang kernel).

    Args:
        resilience: ``rho`` >= 0.
        impact: ``kappa`` > 0.

    Returns:
        A vectorised kernel.
    """
    rho = require_non_negative("resilience", resilience)
    kappa = require_positive("impact", impact)
    return lambda t: kappa * np.exp(-rho * np.asarray(t, dtype=float))


def power_law_kernel(exponent: float, time_scale: float, impact: float = 1.0) -> Kernel:
    """Return ``G(t) = impact * (1 + t / time_scale)^(-exponent)``.

    Args:
        exponent: ``beta`` > 0.
        time_scale: ``t0`` > 0.
        impact: ``G(0)`` > 0.

    Returns:
        A vectorised kernel.
    """
    beta = require_positive("exponent", exponent)
    t0 = require_positive("time_scale", time_scale)
    kappa = require_positive("impact", impact)
    return lambda t: kappa * (1.0 + np.asarray(t, dtype=float) / t0) ** (-beta)


def impact_matrix(times: np.ndarray, kernel: Kernel) -> np.ndarray:
    """Return ``M_ij = G(|t_i - t_j|)`` for the trading times.

    Args:
        times: strictly increasing trading times.
        kernel: the decay kernel ``G``.

    Returns:
        The symmetric matrix ``M``.

    Raises:
        ConfigError: times are not strictly increasing.
    """
    t = np.asarray(times, dtype=float)
    if t.ndim != 1 or t.size < 1 or np.any(np.diff(t) <= 0):
        raise ConfigError(f"times must be a strictly increasing 1-D array, found times={times!r}")
    return np.asarray(kernel(np.abs(t[:, None] - t[None, :])), dtype=float)


def transient_optimal_schedule(shares: float, times: np.ndarray, kernel: Kernel) -> np.ndarray:
    """Return the trades minimising ``1/2 x^T M x`` subject to ``sum x = X``.

    Args:
        shares: ``X`` (signed) != 0.
        times: strictly increasing trading times.
        kernel: the decay kernel ``G``.

    Returns:
        The optimal trade at each time.

    Raises:
        ConfigError: the kernel gives a singular impact matrix.
    """
    matrix = impact_matrix(times, kernel)
    try:
        weights = np.linalg.solve(matrix, np.ones(matrix.shape[0]))
    except np.linalg.LinAlgError as e:
        raise ConfigError(
            "kernel gives a singular impact matrix; use a strictly positive-definite kernel"
        ) from e
    return float(shares) * weights / weights.sum()


def transient_impact_cost(trades: np.ndarray, times: np.ndarray, kernel: Kernel) -> float:
    """Return the expected cost ``1/2 x^T M x`` of a schedule.

    Args:
        trades: trade sizes.
        times: strictly increasing trading times.
        kernel: the decay kernel ``G``.

    Returns:
        The expected execution cost.
    """
    x = np.asarray(trades, dtype=float)
    return float(0.5 * x @ impact_matrix(times, kernel) @ x)
