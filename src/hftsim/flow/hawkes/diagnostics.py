"""Goodness of fit of a Hawkes model by the time-rescaling theorem. Cold path.

If the model is right, the compensator increments between consecutive events of each dimension,
``tau_k^i = int_{t_{k-1}^i}^{t_k^i} lambda_i(s) ds``, are iid Exp(1) (Papangelou 1972; Brown,
Barbieri, Ventura, Kass & Frank 2002; Ogata 1988 "residual analysis"). They are computed by one
compiled O(n D^2 U) pass (:func:`hftsim.flow.hawkes._kernels.compensator_residuals`) and tested
with a Kolmogorov-Smirnov test against Exp(1) per dimension; a QQ plot shows the same thing.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from scipy import stats

from hftsim.flow.hawkes._kernels import compensator_residuals
from hftsim.flow.hawkes.likelihood import check_events
from hftsim.flow.hawkes.params import HawkesParams

__all__ = ["ks_pvalues", "qq_plot", "residuals"]


def residuals(
    params: HawkesParams, times: np.ndarray, marks: np.ndarray, horizon_s: float | None = None
) -> list[np.ndarray]:
    """Return the rescaled inter-event times of each dimension (Exp(1) under the model).

    Args:
        params: the model to test.
        times: sorted event times in seconds.
        marks: event dimensions.
        horizon_s: end of observation (default: the last event; only checked here).

    Returns:
        One float64 array per dimension: ``Lambda_i(t_k^i) - Lambda_i(t_{k-1}^i)``, the first
        measured from 0.

    Raises:
        ConfigError: on invalid events.
    """
    t, m, horizon = check_events(times, marks, params.dim, horizon_s)
    out = np.empty(t.size)
    compensator_residuals(params.mu, params.alpha, params.beta, t, m, horizon, out)
    return [out[m == i] for i in range(params.dim)]


def ks_pvalues(
    params: HawkesParams, times: np.ndarray, marks: np.ndarray, horizon_s: float | None = None
) -> np.ndarray:
    """Return per-dimension Kolmogorov-Smirnov p-values of the residuals against Exp(1).

    Dimensions without events get ``nan``.
    """
    return np.array(
        [
            stats.kstest(r, "expon").pvalue if r.size else np.nan
            for r in residuals(params, times, marks, horizon_s)
        ]
    )


def qq_plot(
    residuals_by_dim: list[np.ndarray], path: str | os.PathLike, title: str = "Hawkes residuals"
) -> Path:
    """Write a QQ plot of residuals against Exp(1) quantiles, one panel per dimension, as PNG.

    Matplotlib is imported here (Agg canvas) so importing the package stays light. The file is
    written to a temporary name and renamed, so a failed plot leaves no partial file.

    Args:
        residuals_by_dim: output of :func:`residuals`.
        path: the PNG to write.
        title: figure title.

    Returns:
        The written path.
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    path = Path(path)
    d = len(residuals_by_dim)
    fig = Figure(figsize=(4.0 * d, 4.0))
    FigureCanvasAgg(fig)  # the Agg canvas explicitly, without touching pyplot's global backend
    for i, r in enumerate(residuals_by_dim):
        ax = fig.add_subplot(1, d, i + 1)
        r = np.sort(r)
        if r.size:
            probs = (np.arange(1, r.size + 1) - 0.5) / r.size
            q = -np.log1p(-probs)
            step = max(1, r.size // 5000)  # thin a 1M-point plot; the tails are kept
            keep = np.unique(np.r_[np.arange(0, r.size, step), np.arange(max(0, r.size - 200), r.size)])
            ax.plot(q[keep], r[keep], ".", markersize=2)
            top = max(q[-1], r[-1])
            ax.plot([0, top], [0, top], "k--", linewidth=1)
        ax.set_title(f"dimension {i} (n={r.size})")
        ax.set_xlabel("Exp(1) quantile")
        ax.set_ylabel("residual quantile")
    fig.suptitle(title)
    fig.tight_layout()
    tmp = path.with_name(f".{path.name}.tmp")
    fig.savefig(tmp, format="png", dpi=100)
    os.replace(tmp, path)
    return path
