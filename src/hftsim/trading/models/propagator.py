"""Bouchaud-Gefen-Potters-Wyart propagator: response, sign autocorrelation and kernel estimation. Cold path.

Bouchaud, J.-P., Gefen, Y., Potters, M. and Wyart, M. (2004), "Fluctuations and response in financial
markets: the subtle nature of 'random' price changes", Quantitative Finance 4(2), 176-190; the estimation
through the increments follows Bouchaud, Kockelkoren and Potters (2006) and Eisler, Bouchaud and
Kockelkoren (2012), "The price impact of order book events", Quantitative Finance 12(9), 1395-1419.

Model: ``p_n = sum_{m<n} G(n - m) eps_m + noise`` with trade signs ``eps_m = +-1``, ``G(0) = 0``.

* Response ``R(l) = <(p_{n+l} - p_n) eps_n>``; sign autocorrelation ``C(l) = <eps_{n+l} eps_n>``.
* BGPW (their eq. 6): ``R(l) = sum_{0<n<=l} G(n) C(l-n) + sum_{n>0} [G(l+n) - G(n)] C(n)``.
* Differencing in ``l`` with the increments ``g(k) = G(k+1) - G(k)`` gives the symmetric Toeplitz system

      S(l) := R(l+1) - R(l) = sum_{k=0}^{L-1} g(k) C(|l - k|),   l = 0..L-1,

  exact when ``g(k) = 0`` for ``k >= L``; then ``G(l) = sum_{k<l} g(k)``. It is solved with Levinson
  recursion (``scipy.linalg.solve_toeplitz``).
"""

from __future__ import annotations

import numpy as np
from scipy.linalg import solve_toeplitz

from hftsim.core.errors import ConfigError
from hftsim.trading.models._validation import require_int_at_least

__all__ = ["estimate_propagator", "response_function", "sign_autocorrelation"]


def _as_series(signs: np.ndarray, max_lag: int) -> np.ndarray:
    eps = np.asarray(signs, dtype=float)
    if eps.ndim != 1:
        raise ConfigError(f"signs must be 1-D, found shape {eps.shape}")
    if eps.size <= max_lag + 1:
        raise ConfigError(f"need more than max_lag + 1 = {max_lag + 1} trades, found {eps.size}")
    return eps


def sign_autocorrelation(signs: np.ndarray, max_lag: int) -> np.ndarray:
    """Return ``C(l) = <eps_{n+l} eps_n>`` for ``l = 0..max_lag``.

    Args:
        signs: trade signs (+1 buyer-initiated, -1 seller-initiated).
        max_lag: largest lag >= 1.

    Returns:
        ``max_lag + 1`` autocorrelations (``C(0) = <eps^2>``, 1 for pure signs).
    """
    max_lag = require_int_at_least("max_lag", max_lag, 1)
    eps = _as_series(signs, max_lag)
    n = eps.size
    return np.array([eps[lag:] @ eps[: n - lag] / (n - lag) for lag in range(max_lag + 1)])


def response_function(signs: np.ndarray, mid_prices: np.ndarray, max_lag: int) -> np.ndarray:
    """Return ``R(l) = <(p_{n+l} - p_n) eps_n>`` for ``l = 0..max_lag``.

    Args:
        signs: trade signs ``eps_n``.
        mid_prices: the mid price ``p_n`` just before trade ``n`` (same length).
        max_lag: largest lag >= 1.

    Returns:
        ``max_lag + 1`` values, ``R(0) = 0``.
    """
    max_lag = require_int_at_least("max_lag", max_lag, 1)
    eps = _as_series(signs, max_lag)
    prices = np.asarray(mid_prices, dtype=float)
    if prices.shape != eps.shape:
        raise ConfigError(f"mid_prices must have the shape of signs {eps.shape}, found {prices.shape}")
    n = eps.size
    return np.array(
        [(prices[lag:] - prices[: n - lag]) @ eps[: n - lag] / (n - lag) for lag in range(max_lag + 1)]
    )


def estimate_propagator(signs: np.ndarray, mid_prices: np.ndarray, max_lag: int) -> np.ndarray:
    """Estimate ``G(l)`` for ``l = 0..max_lag`` by solving the Toeplitz system for its increments.

    Args:
        signs: trade signs ``eps_n``.
        mid_prices: mid price before each trade.
        max_lag: ``L``, the lag beyond which ``G`` is taken as flat (``g(k) = 0`` for ``k >= L``).

    Returns:
        ``G(0) = 0, G(1), ..., G(L)``.
    """
    max_lag = require_int_at_least("max_lag", max_lag, 1)
    response = response_function(signs, mid_prices, max_lag)
    correlation = sign_autocorrelation(signs, max_lag - 1)
    increments = solve_toeplitz(correlation, np.diff(response))
    return np.concatenate([[0.0], np.cumsum(increments)])
