"""Almgren-Chriss discrete-time optimal liquidation with linear impact. Cold path.

Almgren, R. and Chriss, N. (2000), "Optimal execution of portfolio transactions", J. Risk 3(2), 5-39
(equation numbers below are those of the December 2000 version).

A trader sells ``X`` shares over ``N`` periods of length ``tau`` (``T = N tau``). Holdings are
``x_0 = X, ..., x_N = 0`` and the trade in period ``k`` is ``n_k = x_{k-1} - x_k``. The unaffected price is
an arithmetic random walk with volatility ``sigma`` (price units per sqrt(time)); permanent impact
``g(v) = gamma v`` and temporary impact ``h(v) = epsilon sgn(v) + eta v`` with ``v = n_k / tau``.

* Expected cost (eq. 8): ``E[x] = 1/2 gamma X^2 + epsilon sum |n_k| + (eta_tilde / tau) sum n_k^2``
  with ``eta_tilde = eta - gamma tau / 2``.
* Variance (eq. 5): ``V[x] = sigma^2 tau sum_{k=1}^{N} x_k^2``.
* Minimising ``E + lambda V`` gives (eq. 17-18) ``x_j = X sinh(kappa (T - t_j)) / sinh(kappa T)``,
  where ``cosh(kappa tau) = 1 + kappa_tilde^2 tau^2 / 2`` and ``kappa_tilde^2 = lambda sigma^2 / eta_tilde``.
  ``lambda = 0`` is the straight line (eq. 9).
* The half-life of a trade (section 2.3) is ``theta = 1 / kappa``: the time to deplete the position by a
  factor ``e``; it does not depend on ``T``.
* Closed forms of ``E`` and ``V`` on the optimal trajectory (eq. 20) are given by
  :func:`optimal_cost_closed_form` and cross-check the direct sums.

Only liquidation of a positive block (all ``n_k >= 0``) is covered; ``lambda < 0`` (risk seeking) is refused.
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
    "AlmgrenChrissTrajectory",
    "ac_cost_variance",
    "ac_efficient_frontier",
    "ac_expected_cost",
    "ac_half_life",
    "ac_kappa",
    "ac_optimal_trajectory",
    "optimal_cost_closed_form",
]


@dataclass(frozen=True, slots=True)
class AlmgrenChrissTrajectory:
    """An Almgren-Chriss schedule.

    Attributes:
        times: ``t_k = k tau`` for ``k = 0..N``.
        holdings: ``x_k`` for ``k = 0..N`` (``x_0 = X``, ``x_N = 0``).
        trades: ``n_k = x_{k-1} - x_k`` for ``k = 1..N``.
        kappa: the decay rate ``kappa`` (0 for the linear trajectory).
    """

    times: np.ndarray
    holdings: np.ndarray
    trades: np.ndarray
    kappa: float


def _eta_tilde(eta: float, gamma: float, tau: float) -> float:
    eta_tilde = eta - 0.5 * gamma * tau
    if eta_tilde <= 0.0:
        raise ConfigError(
            f"eta_tilde = eta - gamma*tau/2 must be > 0 for a convex problem, found eta={eta!r}, "
            f"gamma={gamma!r}, tau={tau!r} (eta_tilde={eta_tilde!r}); lower gamma or tau"
        )
    return eta_tilde


def ac_kappa(risk_aversion: float, sigma: float, eta: float, gamma: float, tau: float) -> float:
    """Return the exact discrete decay rate kappa of the optimal trajectory.

    Solves ``cosh(kappa tau) = 1 + kappa_tilde^2 tau^2 / 2``, ``kappa_tilde^2 = lambda sigma^2 / eta_tilde``.

    Args:
        risk_aversion: ``lambda`` >= 0 (per unit of currency).
        sigma: price volatility >= 0 (currency per share per sqrt(time)).
        eta: temporary impact coefficient > 0.
        gamma: permanent impact coefficient >= 0.
        tau: period length > 0.

    Returns:
        kappa (per unit time), 0 when ``lambda sigma^2 = 0``.

    Raises:
        ConfigError: a parameter is out of range, or ``eta - gamma tau / 2 <= 0``.
    """
    lam = require_non_negative("risk_aversion", risk_aversion)
    sigma = require_non_negative("sigma", sigma)
    eta = require_positive("eta", eta)
    gamma = require_non_negative("gamma", gamma)
    tau = require_positive("tau", tau)
    kappa_tilde_sq = lam * sigma**2 / _eta_tilde(eta, gamma, tau)
    return float(np.arccosh(1.0 + 0.5 * kappa_tilde_sq * tau**2) / tau)


def ac_half_life(kappa: float) -> float:
    """Return the half-life ``theta = 1 / kappa`` of a trade (infinite for kappa = 0).

    Args:
        kappa: the decay rate from :func:`ac_kappa`, >= 0.

    Returns:
        ``1 / kappa`` in the time unit of ``tau``.
    """
    kappa = require_non_negative("kappa", kappa)
    return float("inf") if kappa == 0.0 else 1.0 / kappa


def ac_optimal_trajectory(
    shares: float,
    n_periods: int,
    tau: float,
    sigma: float,
    eta: float,
    gamma: float,
    risk_aversion: float,
) -> AlmgrenChrissTrajectory:
    """Return the mean-variance optimal liquidation trajectory (eq. 17-18).

    Args:
        shares: ``X`` > 0 to sell.
        n_periods: ``N`` >= 1.
        tau: period length > 0.
        sigma: price volatility >= 0.
        eta: temporary impact > 0.
        gamma: permanent impact >= 0.
        risk_aversion: ``lambda`` >= 0.

    Returns:
        The trajectory, with holdings ``x_k``, trades ``n_k`` and kappa.

    Raises:
        ConfigError: a parameter is out of range.
    """
    shares = require_positive("shares", shares)
    n_periods = require_int_at_least("n_periods", n_periods, 1)
    kappa = ac_kappa(risk_aversion, sigma, eta, gamma, tau)
    horizon = n_periods * tau
    times = np.arange(n_periods + 1) * tau
    if kappa * horizon < 1e-12:
        holdings = shares * (1.0 - times / horizon)
    else:
        # sinh ratio written with exponentials scaled by exp(-kappa T) so large kappa*T never overflows
        numerator = np.exp(-kappa * times) - np.exp(-kappa * (2.0 * horizon - times))
        holdings = shares * numerator / (1.0 - np.exp(-2.0 * kappa * horizon))
    holdings[-1] = 0.0
    return AlmgrenChrissTrajectory(times=times, holdings=holdings, trades=-np.diff(holdings), kappa=kappa)


def ac_expected_cost(holdings: np.ndarray, tau: float, eta: float, gamma: float, epsilon: float) -> float:
    """Return the expected implementation shortfall ``E[x]`` of any trajectory (eq. 8).

    Args:
        holdings: ``x_0..x_N`` with ``x_N = 0``.
        tau: period length > 0.
        eta: temporary impact > 0.
        gamma: permanent impact >= 0.
        epsilon: fixed cost per share (half spread plus fees) >= 0.

    Returns:
        ``1/2 gamma X^2 + epsilon sum |n_k| + (eta_tilde / tau) sum n_k^2``.
    """
    tau = require_positive("tau", tau)
    eta_tilde = _eta_tilde(require_positive("eta", eta), require_non_negative("gamma", gamma), tau)
    epsilon = require_non_negative("epsilon", epsilon)
    x = np.asarray(holdings, dtype=float)
    trades = -np.diff(x)
    return float(
        0.5 * gamma * x[0] ** 2 + epsilon * np.abs(trades).sum() + eta_tilde / tau * np.sum(trades**2)
    )


def ac_cost_variance(holdings: np.ndarray, tau: float, sigma: float) -> float:
    """Return the variance ``V[x] = sigma^2 tau sum_{k=1}^{N} x_k^2`` of the shortfall (eq. 5).

    Args:
        holdings: ``x_0..x_N``.
        tau: period length > 0.
        sigma: price volatility >= 0.

    Returns:
        The variance in currency squared.
    """
    tau = require_positive("tau", tau)
    sigma = require_non_negative("sigma", sigma)
    x = np.asarray(holdings, dtype=float)
    return float(sigma**2 * tau * np.sum(x[1:] ** 2))


def optimal_cost_closed_form(
    shares: float,
    n_periods: int,
    tau: float,
    sigma: float,
    eta: float,
    gamma: float,
    epsilon: float,
    risk_aversion: float,
) -> tuple[float, float]:
    """Return ``(E, V)`` of the optimal trajectory from the paper's closed form (eq. 20).

    For ``kappa = 0`` the linear-trajectory forms (eq. 10-11) are used.

    Args:
        shares: ``X`` > 0.
        n_periods: ``N`` >= 1.
        tau: period length > 0.
        sigma: volatility >= 0.
        eta: temporary impact > 0.
        gamma: permanent impact >= 0.
        epsilon: fixed cost per share >= 0.
        risk_aversion: ``lambda`` >= 0.

    Returns:
        Expected cost and variance.
    """
    shares = require_positive("shares", shares)
    n_periods = require_int_at_least("n_periods", n_periods, 1)
    kappa = ac_kappa(risk_aversion, sigma, eta, gamma, tau)
    epsilon = require_non_negative("epsilon", epsilon)
    eta_tilde = eta - 0.5 * gamma * tau
    horizon = n_periods * tau
    fixed = 0.5 * gamma * shares**2 + epsilon * shares
    if kappa == 0.0:
        expected = fixed + eta_tilde * shares**2 / horizon
        variance = sigma**2 * shares**2 * horizon / 3.0 * (1 - 1 / n_periods) * (1 - 1 / (2 * n_periods))
        return float(expected), float(variance)
    sinh_t, sinh_tau = np.sinh(kappa * horizon), np.sinh(kappa * tau)
    expected = fixed + eta_tilde * shares**2 * np.tanh(0.5 * kappa * tau) * (
        tau * np.sinh(2 * kappa * horizon) + 2 * horizon * sinh_tau
    ) / (2 * tau**2 * sinh_t**2)
    variance = (
        0.5
        * sigma**2
        * shares**2
        * (tau * sinh_t * np.cosh(kappa * (horizon - tau)) - horizon * sinh_tau)
        / (sinh_t**2 * sinh_tau)
    )
    return float(expected), float(variance)


def ac_efficient_frontier(
    risk_aversions: np.ndarray,
    shares: float,
    n_periods: int,
    tau: float,
    sigma: float,
    eta: float,
    gamma: float,
    epsilon: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Return the efficient frontier ``(E(lambda), V(lambda))`` over a grid of risk aversions.

    Args:
        risk_aversions: the ``lambda`` values, each >= 0.
        shares: ``X`` > 0.
        n_periods: ``N`` >= 1.
        tau: period length > 0.
        sigma: volatility >= 0.
        eta: temporary impact > 0.
        gamma: permanent impact >= 0.
        epsilon: fixed cost per share >= 0.

    Returns:
        Two arrays of expected costs and variances, one entry per ``lambda``.
    """
    expected, variance = [], []
    for lam in np.asarray(risk_aversions, dtype=float):
        path = ac_optimal_trajectory(shares, n_periods, tau, sigma, eta, gamma, float(lam))
        expected.append(ac_expected_cost(path.holdings, tau, eta, gamma, epsilon))
        variance.append(ac_cost_variance(path.holdings, tau, sigma))
    return np.asarray(expected), np.asarray(variance)
