"""Obizhaeva-Wang optimal execution under transient linear impact with exponential resilience. Cold path.

Obizhaeva, A. A. and Wang, J. (2013), "Optimal trading strategy and supply/demand dynamics",
Journal of Financial Markets 16(1), 1-32; discrete-time closed form from Alfonsi, A., Fruth, A. and
Schied, A. (2010), "Optimal execution strategies in limit order books with general shape functions",
Quantitative Finance 10(2), 143-157 (block-shaped book).

A buyer of ``X`` shares in ``[0, T]`` faces a block-shaped order book: a trade ``dX`` moves the price
deviation ``D`` by ``kappa dX`` (``kappa = 1/q``, ``q`` the book depth per unit price) and ``D`` relaxes as
``dD = -rho D dt``. Equivalently ``D_t = int kappa exp(-rho (t - s)) dX_s``. A block ``xi`` executed when the
deviation is ``D`` costs ``xi D + kappa xi^2 / 2``. The optimal strategy keeps ``D`` constant:

    initial block X / (rho T + 2),  continuous rate rho X / (rho T + 2),  final block X / (rho T + 2),

with transient cost ``kappa X^2 / (rho T + 2)``. With a permanent impact ``lambda`` and half spread ``s/2``
(strategy-independent under linear impact), the expected cost is

    C = (s/2) X + lambda X^2 / 2 + kappa X^2 / (rho T + 2).

In discrete time with trades at ``t_n = n T / N``, ``n = 0..N`` and ``a = exp(-rho T / N)`` the optimum is
``x_0 = x_N = X / ((N - 1)(1 - a) + 2)`` and ``x_n = (1 - a) x_0`` in between, which converges to the
continuous strategy as ``N`` grows.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hftsim.trading.models._validation import (
    require_int_at_least,
    require_non_negative,
    require_positive,
)

__all__ = [
    "ObizhaevaWangSchedule",
    "ow_discrete_schedule",
    "ow_expected_cost",
    "ow_optimal_schedule",
    "ow_schedule_cost",
]


@dataclass(frozen=True, slots=True)
class ObizhaevaWangSchedule:
    """The continuous-time optimal schedule.

    Attributes:
        initial_block: shares traded at ``t = 0``.
        rate: shares per unit time traded in ``(0, T)``.
        final_block: shares traded at ``t = T``.
    """

    initial_block: float
    rate: float
    final_block: float


def ow_optimal_schedule(shares: float, horizon: float, resilience: float) -> ObizhaevaWangSchedule:
    """Return the continuous-time optimal schedule of Obizhaeva & Wang.

    Args:
        shares: ``X`` > 0.
        horizon: ``T`` > 0.
        resilience: ``rho`` >= 0.

    Returns:
        Initial block ``X/(rho T + 2)``, rate ``rho X/(rho T + 2)``, final block ``X/(rho T + 2)``.
    """
    shares = require_positive("shares", shares)
    horizon = require_positive("horizon", horizon)
    rho = require_non_negative("resilience", resilience)
    block = shares / (rho * horizon + 2.0)
    return ObizhaevaWangSchedule(initial_block=block, rate=rho * block, final_block=block)


def ow_expected_cost(
    shares: float,
    horizon: float,
    resilience: float,
    impact: float,
    *,
    half_spread: float = 0.0,
    permanent_impact: float = 0.0,
) -> float:
    """Return the optimal expected cost ``(s/2) X + lambda X^2 / 2 + kappa X^2 / (rho T + 2)``.

    Args:
        shares: ``X`` > 0.
        horizon: ``T`` > 0.
        resilience: ``rho`` >= 0.
        impact: transient impact ``kappa = 1/q`` > 0 (price per share).
        half_spread: ``s/2`` >= 0.
        permanent_impact: ``lambda`` >= 0.

    Returns:
        The expected execution cost relative to the pre-trade mid.
    """
    schedule = ow_optimal_schedule(shares, horizon, resilience)
    kappa = require_positive("impact", impact)
    half_spread = require_non_negative("half_spread", half_spread)
    lam = require_non_negative("permanent_impact", permanent_impact)
    return float(half_spread * shares + 0.5 * lam * shares**2 + kappa * shares * schedule.initial_block)


def ow_discrete_schedule(shares: float, horizon: float, resilience: float, n_intervals: int) -> np.ndarray:
    """Return the optimal trades at ``t_n = n T / N``, ``n = 0..N`` (Alfonsi, Fruth & Schied closed form).

    Args:
        shares: ``X`` > 0.
        horizon: ``T`` > 0.
        resilience: ``rho`` >= 0.
        n_intervals: ``N`` >= 1 (``N + 1`` trades).

    Returns:
        ``N + 1`` trade sizes summing to ``X``.
    """
    shares = require_positive("shares", shares)
    horizon = require_positive("horizon", horizon)
    rho = require_non_negative("resilience", resilience)
    n = require_int_at_least("n_intervals", n_intervals, 1)
    decay = np.exp(-rho * horizon / n)
    end_block = shares / ((n - 1) * (1.0 - decay) + 2.0)
    trades = np.full(n + 1, (1.0 - decay) * end_block)
    trades[0] = trades[-1] = end_block
    return trades


def ow_schedule_cost(trades: np.ndarray, times: np.ndarray, resilience: float, impact: float) -> float:
    """Return the transient cost ``1/2 x^T M x``, ``M_ij = kappa exp(-rho |t_i - t_j|)``, of block trades.

    Args:
        trades: signed block sizes.
        times: their times (same length).
        resilience: ``rho`` >= 0.
        impact: ``kappa`` > 0.

    Returns:
        The expected cost (excluding spread and permanent impact).
    """
    rho = require_non_negative("resilience", resilience)
    kappa = require_positive("impact", impact)
    x = np.asarray(trades, dtype=float)
    t = np.asarray(times, dtype=float)
    matrix = kappa * np.exp(-rho * np.abs(t[:, None] - t[None, :]))
    return float(0.5 * x @ matrix @ x)
