"""Avellaneda-Stoikov market making: reservation price, spread, the paper's Monte Carlo. Cold path.

Avellaneda, M. and Stoikov, S. (2008), "High-frequency trading in a limit order book",
Quantitative Finance 8(3), 217-224.

The mid price is ``dS = sigma dW``; market orders hit a quote at distance ``delta`` from the mid with Poisson
intensity ``lambda(delta) = A exp(-k delta)``; the dealer maximises ``E[-exp(-gamma (X_T + q_T S_T))]``.
With the paper's linear approximation of the arrival terms (eq. 29-30):

* reservation (indifference) price ``r = s - q gamma sigma^2 (T - t)``;
* total spread ``delta_a + delta_b = gamma sigma^2 (T - t) + (2 / gamma) ln(1 + gamma / k)``, quoted
  symmetrically around ``r``: ``bid = r - spread / 2``, ``ask = r + spread / 2``.

:func:`simulate_as_paper` is the paper's section 3.3 experiment: ``s0 = 100, T = 1, sigma = 2, dt = 0.005,
A = 140, k = 1.5, q0 = 0``; at each step the mid moves by ``+-sigma sqrt(dt)`` with equal probability and each
quote is filled with probability ``lambda(delta) dt`` (read literally, clipped to 1: at these parameters
``A dt = 0.7``, so this is not a small probability). The "symmetric" benchmark quotes the inventory strategy's
time-averaged spread around the mid. Profit is ``cash + q_T S_T``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.trading.models._validation import (
    require_int_at_least,
    require_non_negative,
    require_positive,
)

__all__ = [
    "AS_PAPER_PARAMS",
    "AsPaperResult",
    "as_optimal_quotes",
    "as_optimal_spread",
    "as_reservation_price",
    "simulate_as_paper",
]

AS_PAPER_PARAMS: dict[str, float] = {
    "s0": 100.0,
    "horizon": 1.0,
    "sigma": 2.0,
    "dt": 0.005,
    "arrival_scale": 140.0,
    "arrival_decay": 1.5,
}
"""The parameters of Avellaneda & Stoikov (2008), section 3.3."""


@dataclass(frozen=True, slots=True)
class AsPaperResult:
    """Samples from :func:`simulate_as_paper`, one per path.

    Attributes:
        profit: terminal ``cash + q_T S_T``.
        final_inventory: ``q_T``.
        average_spread: the quoted total spread averaged over time steps (and paths).
    """

    profit: np.ndarray
    final_inventory: np.ndarray
    average_spread: float


def as_reservation_price(
    mid: np.ndarray | float, inventory: np.ndarray | float, gamma: float, sigma: float, time_left: float
) -> np.ndarray | float:
    """Return the reservation price ``r = s - q gamma sigma^2 (T - t)`` (eq. 29).

    Args:
        mid: mid price ``s``.
        inventory: inventory ``q`` (signed).
        gamma: risk aversion > 0.
        sigma: volatility >= 0.
        time_left: ``T - t`` >= 0.

    Returns:
        The reservation price, broadcast over ``mid`` and ``inventory``.
    """
    gamma = require_positive("gamma", gamma)
    sigma = require_non_negative("sigma", sigma)
    time_left = require_non_negative("time_left", time_left)
    return mid - np.asarray(inventory, dtype=float) * gamma * sigma**2 * time_left


def as_optimal_spread(gamma: float, sigma: float, time_left: float, arrival_decay: float) -> float:
    """Return the total spread ``gamma sigma^2 (T - t) + (2 / gamma) ln(1 + gamma / k)`` (eq. 30).

    Args:
        gamma: risk aversion > 0.
        sigma: volatility >= 0.
        time_left: ``T - t`` >= 0.
        arrival_decay: ``k`` > 0 in ``lambda(delta) = A exp(-k delta)``.

    Returns:
        ``delta_a + delta_b``.
    """
    gamma = require_positive("gamma", gamma)
    sigma = require_non_negative("sigma", sigma)
    time_left = require_non_negative("time_left", time_left)
    k = require_positive("arrival_decay", arrival_decay)
    return float(gamma * sigma**2 * time_left + (2.0 / gamma) * np.log1p(gamma / k))


def as_optimal_quotes(
    mid: np.ndarray | float,
    inventory: np.ndarray | float,
    gamma: float,
    sigma: float,
    time_left: float,
    arrival_decay: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the optimal ``(bid, ask)``: the optimal spread centred on the reservation price.

    Args:
        mid: mid price ``s``.
        inventory: inventory ``q``.
        gamma: risk aversion > 0.
        sigma: volatility >= 0.
        time_left: ``T - t`` >= 0.
        arrival_decay: ``k`` > 0.

    Returns:
        Bid and ask prices.
    """
    centre = as_reservation_price(mid, inventory, gamma, sigma, time_left)
    half = 0.5 * as_optimal_spread(gamma, sigma, time_left, arrival_decay)
    return np.asarray(centre - half), np.asarray(centre + half)


def simulate_as_paper(gamma: float, strategy: str, n_paths: int, rng: np.random.Generator) -> AsPaperResult:
    """Run the Monte Carlo of Avellaneda & Stoikov (2008), section 3.3, vectorised over paths.

    Args:
        gamma: risk aversion > 0 (the paper's tables use 0.1, 0.01 and 1).
        strategy: ``"inventory"`` (quotes around ``r``) or ``"symmetric"`` (the same time-averaged spread
            around the mid).
        n_paths: number of independent paths >= 1.
        rng: the only source of randomness.

    Returns:
        Profit and final-inventory samples and the average quoted spread.

    Raises:
        ConfigError: ``gamma`` is not positive, ``strategy`` is unknown or ``n_paths`` < 1.
    """
    gamma = require_positive("gamma", gamma)
    n_paths = require_int_at_least("n_paths", n_paths, 1)
    if strategy not in ("inventory", "symmetric"):
        raise ConfigError(f"strategy must be 'inventory' or 'symmetric', found strategy={strategy!r}")
    p = AS_PAPER_PARAMS
    sigma, dt, big_a, k = p["sigma"], p["dt"], p["arrival_scale"], p["arrival_decay"]
    n_steps = int(round(p["horizon"] / dt))
    time_left = p["horizon"] - dt * np.arange(n_steps)
    spreads = gamma * sigma**2 * time_left + (2.0 / gamma) * np.log1p(gamma / k)
    if strategy == "symmetric":
        spreads = np.full(n_steps, spreads.mean())
    skew_per_unit = gamma * sigma**2 * time_left if strategy == "inventory" else np.zeros(n_steps)
    mid = np.full(n_paths, p["s0"])
    inventory = np.zeros(n_paths)
    cash = np.zeros(n_paths)
    step = sigma * np.sqrt(dt)
    for j in range(n_steps):
        centre = mid - inventory * skew_per_unit[j]
        ask = centre + 0.5 * spreads[j]
        bid = centre - 0.5 * spreads[j]
        # The paper's fill probability lambda(delta) dt, taken literally and clipped to a probability.
        ask_prob = np.minimum(big_a * np.exp(-k * (ask - mid)) * dt, 1.0)
        bid_prob = np.minimum(big_a * np.exp(-k * (mid - bid)) * dt, 1.0)
        uniforms = rng.random((3, n_paths))
        is_ask_hit = uniforms[0] < ask_prob
        is_bid_hit = uniforms[1] < bid_prob
        cash += np.where(is_ask_hit, ask, 0.0) - np.where(is_bid_hit, bid, 0.0)
        inventory += is_bid_hit.astype(float) - is_ask_hit.astype(float)
        mid = mid + np.where(uniforms[2] < 0.5, step, -step)
    profit = cash + inventory * mid
    return AsPaperResult(profit=profit, final_inventory=inventory, average_spread=float(spreads.mean()))
