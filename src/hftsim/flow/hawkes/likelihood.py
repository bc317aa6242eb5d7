"""Exact log-likelihood of a multivariate Hawkes process, with gradient and Hessian. Cold path.

For events ``(t_k, m_k)`` on ``[0, T]`` (Ogata 1978; Bacry, Mastromatteo & Muzy 2015, eq. 2.6)::

    log L = sum_k log lambda_{m_k}(t_k) - sum_i int_0^T lambda_i(s) ds
    int_0^T lambda_i = mu_i T + sum_j sum_u alpha_iju sum_{t_l^j <= T} (1 - e^{-beta_u (T - t_l^j)})

The sums over the past are carried by the Ozaki (1979) recursion in the compiled
:func:`hftsim.flow.hawkes._kernels.loglik_pass`, so value, gradient and Hessian with respect to
all of ``(mu, alpha, beta)`` cost one O(n D U) pass. Flat parameter layout:
``[mu (D), alpha (D*D*U, C order i, j, u), beta (U)]`` (see :func:`pack_params`).
"""

from __future__ import annotations

import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.flow.hawkes._kernels import loglik_pass
from hftsim.flow.hawkes.params import HawkesParams

__all__ = [
    "check_events",
    "log_likelihood",
    "log_likelihood_derivatives",
    "n_params",
    "pack_params",
    "unpack_params",
]


def n_params(dim: int, n_decays: int) -> int:
    """Return the length ``D + D*D*U + U`` of the flat parameter vector."""
    return dim + dim * dim * n_decays + n_decays


def pack_params(params: HawkesParams) -> np.ndarray:
    """Flatten parameters to ``[mu, alpha.ravel(), beta]``."""
    return np.concatenate([params.mu, params.alpha.ravel(), params.beta])


def unpack_params(theta: np.ndarray, dim: int, n_decays: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Split a flat vector into ``(mu (D,), alpha (D, D, U), beta (U,))`` views."""
    d, u = dim, n_decays
    return theta[:d], theta[d : d + d * d * u].reshape(d, d, u), theta[d + d * d * u :]


def check_events(
    times: np.ndarray, marks: np.ndarray, dim: int, horizon_s: float | None = None, *, source: str = "events"
) -> tuple[np.ndarray, np.ndarray, float]:
    """Validate and normalize an event sample once, at the boundary.

    Args:
        times: event times in seconds, sorted, >= 0.
        marks: integer dimensions in ``[0, dim)``, same length.
        dim: number of dimensions ``D``.
        horizon_s: end of observation ``T`` (default: the last event time).
        source: where the events came from, quoted in error messages.

    Returns:
        ``(times float64, marks int64, horizon)`` as contiguous arrays.

    Raises:
        ConfigError: on shape mismatch, unsorted or negative times, marks out of range, or a
            horizon before the last event.
    """
    t = np.ascontiguousarray(times, dtype=np.float64)
    m = np.ascontiguousarray(marks, dtype=np.int64)
    if t.ndim != 1 or m.shape != t.shape:
        raise ConfigError(
            f"{source}: times and marks must be 1-D of equal length, got {t.shape} and {m.shape}"
        )
    if t.size == 0:
        raise ConfigError(f"{source}: no events")
    if not np.all(np.isfinite(t)) or t[0] < 0:
        raise ConfigError(f"{source}.times: must be finite and >= 0 (first = {t[0]!r})")
    if np.any(np.diff(t) < 0):
        k = int(np.flatnonzero(np.diff(t) < 0)[0])
        raise ConfigError(f"{source}.times: not sorted at index {k + 1} ({t[k]!r} then {t[k + 1]!r})")
    if m.min() < 0 or m.max() >= dim:
        raise ConfigError(f"{source}.marks: expected values in [0, {dim}), found [{m.min()}, {m.max()}]")
    horizon = float(t[-1]) if horizon_s is None else float(horizon_s)
    if not horizon >= t[-1]:
        raise ConfigError(f"{source}: horizon_s = {horizon!r} is before the last event at {t[-1]!r}")
    return t, m, horizon


def log_likelihood(
    params: HawkesParams, times: np.ndarray, marks: np.ndarray, horizon_s: float | None = None
) -> float:
    """Return the exact log-likelihood of the sample on ``[0, horizon_s]``.

    Args:
        params: model parameters.
        times: sorted event times in seconds.
        marks: dimensions of the events.
        horizon_s: end of observation (default: the last event time).

    Returns:
        ``log L`` (``-inf`` if an intensity is not positive).
    """
    value, _, _ = log_likelihood_derivatives(params, times, marks, horizon_s, order=0)
    return value


def log_likelihood_derivatives(
    params: HawkesParams,
    times: np.ndarray,
    marks: np.ndarray,
    horizon_s: float | None = None,
    order: int = 2,
) -> tuple[float, np.ndarray | None, np.ndarray | None]:
    """Return ``(log L, gradient, Hessian)`` with respect to the flat parameter vector.

    Args:
        params: model parameters.
        times: sorted event times in seconds.
        marks: dimensions of the events.
        horizon_s: end of observation (default: the last event time).
        order: 0 for the value only, 1 to add the gradient, 2 to add the Hessian.

    Returns:
        ``(value, grad (P,) or None, hess (P, P) or None)``, layout of :func:`pack_params`.
    """
    t, m, horizon = check_events(times, marks, params.dim, horizon_s)
    p = n_params(params.dim, params.n_decays)
    grad = np.zeros(p)
    hess = np.zeros((p, p) if order >= 2 else (1, 1))
    value = loglik_pass(params.mu, params.alpha, params.beta, t, m, horizon, order, grad, hess)
    return float(value), (grad if order >= 1 else None), (hess if order >= 2 else None)
