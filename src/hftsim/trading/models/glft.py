"""Gueant-Lehalle-Fernandez-Tapia market making with inventory limits: exact and asymptotic quotes. Cold path.

Gueant, O., Lehalle, C.-A. and Fernandez-Tapia, J. (2013), "Dealing with the inventory risk: a solution to
the market making problem", Mathematics and Financial Economics 7(4), 477-507.

Same market as Avellaneda-Stoikov (mid ``dS = sigma dW``, fills at intensity ``A exp(-k delta)``, CARA utility
with risk aversion ``gamma``) but the inventory is kept in ``{-Q, ..., Q}``: no bid is quoted at ``q = Q``
and no ask at ``q = -Q``. The HJB system becomes linear after the change of variables
``u = -exp(-gamma (x + q s)) v_q(t)^(-gamma/k)``:

    dv_q/dt = alpha q^2 v_q - eta (v_{q-1} + v_{q+1}),   v_q(T) = 1,
    alpha = k gamma sigma^2 / 2,   eta = A (1 + gamma/k)^(-(1 + k/gamma)),

so ``v(t) = exp(-M (T - t)) 1`` with ``M`` tridiagonal (``alpha q^2`` on the diagonal, ``-eta`` beside it).
The optimal depths are

    delta_b(t, q) = (1/k) ln(v_q / v_{q+1}) + (1/gamma) ln(1 + gamma/k)    (q < Q)
    delta_a(t, q) = (1/k) ln(v_q / v_{q-1}) + (1/gamma) ln(1 + gamma/k)    (q > -Q)

Far from ``T`` and for small ``|q|`` they tend to the closed-form approximations (the paper's eq. for
``delta_b_inf`` and ``delta_a_inf``), obtained from a Gaussian approximation of the ground state of ``M``:

    delta_b ~ (1/gamma) ln(1 + gamma/k) + (2q + 1)/2 * c,
    delta_a ~ (1/gamma) ln(1 + gamma/k) - (2q - 1)/2 * c,
    c = sqrt(sigma^2 gamma / (2 k A) * (1 + gamma/k)^(1 + k/gamma)).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import expm

from hftsim.trading.models._validation import (
    require_int_at_least,
    require_non_negative,
    require_positive,
)

__all__ = ["glft_approx_depths", "glft_exact_depths", "glft_value_vector"]


def _check_market(
    gamma: float, sigma: float, arrival_scale: float, arrival_decay: float
) -> tuple[float, ...]:
    return (
        require_positive("gamma", gamma),
        require_non_negative("sigma", sigma),
        require_positive("arrival_scale", arrival_scale),
        require_positive("arrival_decay", arrival_decay),
    )


def glft_approx_depths(
    inventory: np.ndarray | float, gamma: float, sigma: float, arrival_scale: float, arrival_decay: float
) -> tuple[np.ndarray, np.ndarray]:
    """Return the closed-form asymptotic bid and ask depths ``(delta_b, delta_a)``.

    Args:
        inventory: ``q`` (scalar or array).
        gamma: risk aversion > 0.
        sigma: mid volatility >= 0.
        arrival_scale: ``A`` > 0.
        arrival_decay: ``k`` > 0.

    Returns:
        Distances of the bid below and of the ask above the mid.
    """
    gamma, sigma, big_a, k = _check_market(gamma, sigma, arrival_scale, arrival_decay)
    q = np.asarray(inventory, dtype=float)
    base = np.log1p(gamma / k) / gamma
    slope = np.sqrt(sigma**2 * gamma / (2.0 * k * big_a) * (1.0 + gamma / k) ** (1.0 + k / gamma))
    return base + 0.5 * (2.0 * q + 1.0) * slope, base - 0.5 * (2.0 * q - 1.0) * slope


def glft_value_vector(
    time_left: float,
    inventory_limit: int,
    gamma: float,
    sigma: float,
    arrival_scale: float,
    arrival_decay: float,
) -> np.ndarray:
    """Return ``v(t) = exp(-M (T - t)) 1`` indexed by ``q = -Q..Q``.

    Args:
        time_left: ``T - t`` >= 0.
        inventory_limit: ``Q`` >= 1.
        gamma: risk aversion > 0.
        sigma: volatility >= 0.
        arrival_scale: ``A`` > 0.
        arrival_decay: ``k`` > 0.

    Returns:
        The positive vector ``v_q(t)``, length ``2Q + 1``, up to a positive factor ``exp(c (T - t))`` (``c``
        the smallest eigenvalue of ``M``) that cancels in every depth.
    """
    time_left = require_non_negative("time_left", time_left)
    limit = require_int_at_least("inventory_limit", inventory_limit, 1)
    gamma, sigma, big_a, k = _check_market(gamma, sigma, arrival_scale, arrival_decay)
    q = np.arange(-limit, limit + 1, dtype=float)
    alpha = 0.5 * k * gamma * sigma**2
    eta = big_a * (1.0 + gamma / k) ** (-(1.0 + k / gamma))
    matrix = np.diag(alpha * q**2) - eta * (np.eye(q.size, k=1) + np.eye(q.size, k=-1))
    # Shifting by the smallest eigenvalue only rescales v (the depths use ratios) and avoids overflow.
    shift = np.linalg.eigvalsh(matrix)[0]
    return expm(-(matrix - shift * np.eye(q.size)) * time_left) @ np.ones(q.size)


def glft_exact_depths(
    time_left: float,
    inventory_limit: int,
    gamma: float,
    sigma: float,
    arrival_scale: float,
    arrival_decay: float,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return the exact optimal depths for every inventory ``q = -Q..Q``.

    Args:
        time_left: ``T - t`` >= 0.
        inventory_limit: ``Q`` >= 1.
        gamma: risk aversion > 0.
        sigma: volatility >= 0.
        arrival_scale: ``A`` > 0.
        arrival_decay: ``k`` > 0.

    Returns:
        ``(inventories, delta_b, delta_a)``; ``delta_b`` is NaN at ``q = Q`` and ``delta_a`` at ``q = -Q``
        (no quote on that side).
    """
    v = glft_value_vector(time_left, inventory_limit, gamma, sigma, arrival_scale, arrival_decay)
    base = np.log1p(gamma / arrival_decay) / gamma
    log_v = np.log(v)
    bid = np.full(v.size, np.nan)
    ask = np.full(v.size, np.nan)
    bid[:-1] = (log_v[:-1] - log_v[1:]) / arrival_decay + base
    ask[1:] = (log_v[1:] - log_v[:-1]) / arrival_decay + base
    return np.arange(-inventory_limit, inventory_limit + 1), bid, ask
