"""Cartea-Jaimungal-Penalva market making with running and terminal inventory penalties. Cold path.

Cartea, A., Jaimungal, S. and Penalva, J. (2015), Algorithmic and High-Frequency Trading, Cambridge
University Press, chapter 10.2 ("Market making at the touch" is 10.1; this is the depth model of 10.2).

The agent posts a sell limit order at ``S + delta_plus`` and a buy limit order at ``S - delta_minus``; buy
(sell) market orders arrive at rate ``lambda_plus`` (``lambda_minus``) and lift the agent's order with
probability ``exp(-kappa delta)``. The agent maximises

    E[X_T + q_T (S_T - alpha q_T) - phi int_t^T q_u^2 du],   q in {q_min, ..., q_max}.

With the ansatz ``H = x + q s + h(t, q)`` and ``h = (1/kappa) ln omega``, ``omega`` solves the linear system
``d omega / dt + A omega = 0``, ``omega_q(T) = exp(-alpha kappa q^2)``, where ``A`` is tridiagonal:

    A[q, q]     = -phi kappa q^2
    A[q, q - 1] = lambda_plus  e^{-1}   (a sell order filled: q -> q - 1, only if q > q_min)
    A[q, q + 1] = lambda_minus e^{-1}   (a buy order filled:  q -> q + 1, only if q < q_max)

so ``omega(t) = exp(A (T - t)) z``, and the optimal depths (their eq. 10.32) are

    delta_plus(t, q)  = 1/kappa + (1/kappa) ln(omega_q / omega_{q-1})   (q > q_min)
    delta_minus(t, q) = 1/kappa + (1/kappa) ln(omega_q / omega_{q+1})   (q < q_max)

Known limits: at ``t = T`` they equal ``1/kappa - alpha (2q - 1)`` and ``1/kappa + alpha (2q + 1)``; with
``phi = alpha = 0`` and inventory far from its bounds both tend to ``1/kappa``.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from hftsim.core.errors import ConfigError
from hftsim.trading.models._validation import (
    require_int_at_least,
    require_non_negative,
    require_positive,
)

__all__ = ["cjp_depths", "cjp_omega"]


def cjp_omega(
    time_left: float,
    kappa: float,
    lambda_plus: float,
    lambda_minus: float,
    phi: float,
    alpha: float,
    q_min: int,
    q_max: int,
) -> np.ndarray:
    """Return ``omega(t) = exp(A (T - t)) z`` indexed by ``q = q_min..q_max``.

    Args:
        time_left: ``T - t`` >= 0.
        kappa: fill-probability decay ``kappa`` > 0.
        lambda_plus: arrival rate of buy market orders (hitting the agent's ask) >= 0.
        lambda_minus: arrival rate of sell market orders (hitting the agent's bid) >= 0.
        phi: running inventory penalty >= 0.
        alpha: terminal liquidation penalty >= 0.
        q_min: lowest allowed inventory (<= 0).
        q_max: highest allowed inventory (>= 0, > q_min).

    Returns:
        The positive vector ``omega_q(t)`` up to a positive factor ``exp(-c (T - t))`` (``c`` the largest
        eigenvalue of ``A``) that cancels in every depth.

    Raises:
        ConfigError: a parameter is out of range.
    """
    time_left = require_non_negative("time_left", time_left)
    kappa = require_positive("kappa", kappa)
    lambda_plus = require_non_negative("lambda_plus", lambda_plus)
    lambda_minus = require_non_negative("lambda_minus", lambda_minus)
    phi = require_non_negative("phi", phi)
    alpha = require_non_negative("alpha", alpha)
    if isinstance(q_min, bool) or not isinstance(q_min, (int, np.integer)) or q_min > 0:
        raise ConfigError(f"q_min must be an integer <= 0, found q_min={q_min!r}")
    q_max = require_int_at_least("q_max", q_max, max(0, int(q_min) + 1))
    q = np.arange(int(q_min), q_max + 1, dtype=float)
    matrix = (
        np.diag(-phi * kappa * q**2)
        + lambda_plus * np.exp(-1.0) * np.eye(q.size, k=-1)
        + lambda_minus * np.exp(-1.0) * np.eye(q.size, k=1)
    )
    # A is similar to a symmetric matrix, so its spectrum is real; shifting by the top eigenvalue only
    # rescales omega (depths use ratios) and keeps long horizons from overflowing.
    shift = float(np.max(np.linalg.eigvals(matrix).real))
    return expm((matrix - shift * np.eye(q.size)) * time_left) @ np.exp(-alpha * kappa * q**2)


def cjp_depths(
    time_left: float,
    kappa: float,
    lambda_plus: float,
    lambda_minus: float,
    phi: float,
    alpha: float,
    q_min: int,
    q_max: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the optimal ask and bid depths for every inventory.

    Args:
        time_left: ``T - t`` >= 0.
        kappa: fill-probability decay > 0.
        lambda_plus: buy market-order rate >= 0.
        lambda_minus: sell market-order rate >= 0.
        phi: running inventory penalty >= 0.
        alpha: terminal penalty >= 0.
        q_min: lowest inventory (<= 0).
        q_max: highest inventory (> q_min, >= 0).

    Returns:
        ``(inventories, delta_plus, delta_minus)``: the ask depth (NaN at ``q_min``) and the bid
        depth (NaN at ``q_max``).
    """
    omega = cjp_omega(time_left, kappa, lambda_plus, lambda_minus, phi, alpha, q_min, q_max)
    h = np.log(omega) / kappa
    ask = np.full(h.size, np.nan)
    bid = np.full(h.size, np.nan)
    ask[1:] = 1.0 / kappa + h[1:] - h[:-1]
    bid[:-1] = 1.0 / kappa + h[:-1] - h[1:]
    return np.arange(int(q_min), int(q_max) + 1), ask, bid
