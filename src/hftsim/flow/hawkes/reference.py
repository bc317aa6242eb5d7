"""Naive O(n^2) Hawkes log-likelihood, the obviously correct twin of the recursion. Cold path.

Used only by tests to check :func:`hftsim.flow.hawkes.likelihood.log_likelihood`. It evaluates
the definition directly (Ogata 1978; Bacry, Mastromatteo & Muzy 2015, eq. 2.6)::

    log L = sum_k log( mu_{m_k} + sum_{l<k} phi_{m_k m_l}(t_k - t_l) )
            - sum_i ( mu_i T + sum_l sum_u alpha_{i m_l u} (1 - e^{-beta_u (T - t_l)}) )
"""

from __future__ import annotations

import numpy as np

from hftsim.flow.hawkes.params import HawkesParams

__all__ = ["log_likelihood_naive"]


def log_likelihood_naive(
    params: HawkesParams, times: np.ndarray, marks: np.ndarray, horizon_s: float
) -> float:
    """Return the log-likelihood by the O(n^2 U) double sum (events ``l < k`` excite ``k``)."""
    mu, alpha, beta = params.mu, params.alpha, params.beta
    times = np.asarray(times, dtype=np.float64)
    marks = np.asarray(marks, dtype=np.int64)
    total = 0.0
    for k in range(times.size):
        lags = times[k] - times[:k]
        kernel = alpha[marks[k]][marks[:k]] * beta * np.exp(-np.outer(lags, beta))  # (k, U)
        total += np.log(mu[marks[k]] + kernel.sum())
    tails = 1.0 - np.exp(-np.outer(horizon_s - times, beta))  # (n, U)
    compensator = mu.sum() * horizon_s + sum(
        float((alpha[i][marks] * tails).sum()) for i in range(params.dim)
    )
    return float(total - compensator)
