"""Fit of the square-root law of market impact from metaorder samples. Cold path.

Torre, N. (1997), BARRA Market Impact Model Handbook; Almgren, R., Thum, C., Hauptmann, E. and Li, H. (2005),
"Direct estimation of equity market impact", Risk 18(7); Toth, B. et al. (2011), "Anomalous price impact and
the critical nature of liquidity in financial markets", Physical Review X 1, 021006; Bouchaud, Bonart,
Donier and Gould (2018), Trades, Quotes and Prices, ch. 12.

Law: ``I(Q) = Y sigma (Q / V)^delta`` with ``Q`` the metaorder size, ``V`` the daily volume, ``sigma`` the
daily volatility; empirically ``delta ~ 0.5`` and ``Y ~ 1``. Taking logs,

    ln(I / sigma) = ln Y + delta ln(Q / V) + noise,

an ordinary least-squares line. Standard errors are the OLS ones, ``s^2 (X^T X)^{-1}``; the error of ``Y`` is
propagated from that of ``ln Y`` by the delta method (``se(Y) = Y se(ln Y)``). Impacts must be positive:
average noisy samples in bins of ``Q/V`` first, as the cited papers do.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hftsim.core.errors import ConfigError
from hftsim.trading.models._validation import require_non_negative, require_positive

__all__ = ["SquareRootFit", "fit_square_root_law", "square_root_impact"]


@dataclass(frozen=True, slots=True)
class SquareRootFit:
    """Result of :func:`fit_square_root_law`.

    Attributes:
        prefactor: ``Y``.
        exponent: ``delta``.
        prefactor_stderr: standard error of ``Y`` (delta method).
        exponent_stderr: standard error of ``delta``.
        n_samples: number of samples used.
    """

    prefactor: float
    exponent: float
    prefactor_stderr: float
    exponent_stderr: float
    n_samples: int


def _positive_array(name: str, values: np.ndarray | float, size: int) -> np.ndarray:
    array = np.broadcast_to(np.asarray(values, dtype=float), (size,))
    if not np.all(np.isfinite(array)) or np.any(array <= 0.0):
        bad = array[~(np.isfinite(array) & (array > 0.0))][:3]
        raise ConfigError(f"{name} must be finite and > 0, found values such as {bad.tolist()}")
    return array


def fit_square_root_law(
    sizes: np.ndarray,
    impacts: np.ndarray,
    daily_volume: np.ndarray | float,
    daily_volatility: np.ndarray | float,
) -> SquareRootFit:
    """Fit ``I = Y sigma (Q/V)^delta`` by log-log least squares.

    Args:
        sizes: metaorder sizes ``Q`` > 0.
        impacts: measured impacts ``I`` > 0 (same unit as ``sigma``).
        daily_volume: ``V`` > 0, scalar or one per sample.
        daily_volatility: ``sigma`` > 0, scalar or one per sample.

    Returns:
        ``Y``, ``delta`` and their standard errors.

    Raises:
        ConfigError: fewer than 3 samples, non-positive inputs, or all sizes equal.
    """
    q = np.asarray(sizes, dtype=float).ravel()
    if q.size < 3:
        raise ConfigError(f"need at least 3 metaorders, found {q.size}")
    q = _positive_array("sizes", q, q.size)
    impact = _positive_array("impacts", np.asarray(impacts, dtype=float).ravel(), q.size)
    volume = _positive_array("daily_volume", daily_volume, q.size)
    sigma = _positive_array("daily_volatility", daily_volatility, q.size)
    x = np.log(q / volume)
    y = np.log(impact / sigma)
    if np.ptp(x) == 0.0:
        raise ConfigError("all metaorders have the same Q/V; the exponent is not identifiable")
    design = np.column_stack([np.ones_like(x), x])
    coef, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ coef
    dof = q.size - 2
    covariance = (
        residuals @ residuals / dof * np.linalg.inv(design.T @ design) if dof > 0 else np.zeros((2, 2))
    )
    prefactor = float(np.exp(coef[0]))
    return SquareRootFit(
        prefactor=prefactor,
        exponent=float(coef[1]),
        prefactor_stderr=prefactor * float(np.sqrt(covariance[0, 0])),
        exponent_stderr=float(np.sqrt(covariance[1, 1])),
        n_samples=int(q.size),
    )


def square_root_impact(
    size: np.ndarray | float,
    daily_volume: float,
    daily_volatility: float,
    prefactor: float = 1.0,
    exponent: float = 0.5,
) -> np.ndarray:
    """Return ``Y sigma (Q / V)^delta``.

    Args:
        size: metaorder size(s) ``Q`` >= 0.
        daily_volume: ``V`` > 0.
        daily_volatility: ``sigma`` >= 0.
        prefactor: ``Y`` >= 0.
        exponent: ``delta`` > 0.

    Returns:
        The predicted impact.
    """
    volume = require_positive("daily_volume", daily_volume)
    sigma = require_non_negative("daily_volatility", daily_volatility)
    y = require_non_negative("prefactor", prefactor)
    delta = require_positive("exponent", exponent)
    q = np.asarray(size, dtype=float)
    if np.any(q < 0):
        raise ConfigError(f"size must be >= 0, found {q[q < 0][:3].tolist()}")
    return y * sigma * (q / volume) ** delta
