"""Plots and tables of a finished sweep: one PNG per study. Cold path.

``plot_study(OUT)`` reads ``OUT/results.parquet`` and the ``[plot]`` table recorded in
``OUT/sweep.json`` and draws ``OUT/plot.png``:

* ``distribution``: a box plot of one metric for each value of ``x`` (every seed is a sample);
* ``curve``: mean and standard deviation across seeds of each ``y`` metric against ``x``;
  ``x_transform = "spectral_radius"`` plots a Hawkes norm matrix as its branching ratio;
* ``impact``: mean impact against metaorder size on log-log axes, with the fit of the square-root
  law ``I = Y sigma (Q/V)^delta`` (:func:`hftsim.trading.models.square_root.fit_square_root_law`),
  ``V`` the mean market volume per session excluding the metaorder and ``sigma`` the mean session
  volatility (``volatility * sqrt(session seconds)``).

Command line: ``python -m hftsim.sweep.study OUT [PNG]``.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow.parquet as pq

from hftsim.sweep.spec import SweepSpec

__all__ = ["impact_fit", "plot_study", "print_summary", "x_values"]


def x_values(column: list[Any], transform: str = "none") -> np.ndarray:
    """Return the numeric x of each row: the value, a JSON list's spectral radius, or its first item."""
    out = []
    for value in column:
        if isinstance(value, str):
            value = json.loads(value)
        if transform == "spectral_radius":
            norms = np.asarray(value, dtype=float)
            if norms.ndim == 3:
                norms = norms.sum(axis=2)
            out.append(float(np.max(np.abs(np.linalg.eigvals(norms)))))
        else:
            out.append(float(value if np.isscalar(value) else np.asarray(value, dtype=float).ravel()[0]))
    return np.asarray(out)


def impact_fit(
    results: Any, size_column: str, impact_column: str, agent: str, session_s: float
) -> dict[str, Any]:
    """Fit the square-root law to the mean impact per metaorder size.

    Returns:
        ``sizes``, ``impacts`` (means), ``stderr`` (per size), ``volume``, ``sigma`` and the ``fit``
        (:class:`~hftsim.trading.models.square_root.SquareRootFit`, or None when fewer than three sizes
        have a positive mean impact).
    """
    from hftsim.trading.models.square_root import fit_square_root_law

    sizes = x_values(results.column(size_column).to_pylist())
    impact = results.column(impact_column).to_numpy(zero_copy_only=False).astype(float)
    market = results.column("volume").to_numpy().astype(float)
    if f"filled_qty.{agent}" in results.column_names:
        market = market - results.column(f"filled_qty.{agent}").to_numpy().astype(float)
    sigma = float(np.nanmean(results.column("volatility").to_numpy(zero_copy_only=False))) * math.sqrt(
        session_s
    )
    volume = float(np.mean(market))
    levels = np.unique(sizes)
    means = np.array([np.nanmean(impact[sizes == q]) for q in levels])
    stderr = np.array(
        [
            np.nanstd(impact[sizes == q], ddof=1) / math.sqrt(max((sizes == q).sum(), 1))
            if (sizes == q).sum() > 1
            else math.nan
            for q in levels
        ]
    )
    ok = np.isfinite(means) & (means > 0)
    fit = fit_square_root_law(levels[ok], means[ok], volume, sigma) if ok.sum() >= 3 else None
    return {"sizes": levels, "impacts": means, "stderr": stderr, "volume": volume, "sigma": sigma, "fit": fit}


def plot_study(out_dir: str | Path, png: str | Path | None = None) -> Path:
    """Draw the sweep's ``[plot]`` from its results and return the PNG path (default ``OUT/plot.png``).

    Raises:
        ConfigError: the sweep has no ``[plot]`` table or no results.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from hftsim.core.errors import ConfigError

    out = Path(out_dir)
    record = json.loads((out / "sweep.json").read_text())
    plot = record["sweep"].get("plot")
    if not plot:
        raise ConfigError(f"{out}: the sweep has no [plot] table")
    if not (out / "results.parquet").is_file():
        raise ConfigError(f"{out}: no results.parquet; run the sweep first")
    results = pq.read_table(out / "results.parquet")
    kind, ys = plot["kind"], plot["y"]
    x_col = f"param.{plot['x']}"
    fig, axes = plt.subplots(
        1,
        len(ys) if kind == "curve" else 1,
        figsize=(6 * (len(ys) if kind == "curve" else 1), 4.2),
        squeeze=False,
    )
    title = plot.get("title", record["sweep"]["name"])
    if kind == "distribution":
        _distribution(axes[0][0], results, x_col, ys[0], plot)
    elif kind == "curve":
        for ax, y in zip(axes[0], ys):
            _curve(ax, results, x_col, y, plot)
    else:
        title = _impact(axes[0][0], results, x_col, ys[0], plot, record) or title
    fig.suptitle(title)
    fig.tight_layout()
    target = Path(png) if png is not None else out / "plot.png"
    fig.savefig(target, dpi=110)
    plt.close(fig)
    return target


def _distribution(ax: Any, results: Any, x_col: str, y: str, plot: dict[str, Any]) -> None:
    x = x_values(results.column(x_col).to_pylist(), plot.get("x_transform", "none"))
    values = results.column(y).to_numpy(zero_copy_only=False).astype(float)
    levels = np.unique(x)
    data = [values[(x == v) & np.isfinite(values)] for v in levels]
    ax.boxplot(data, showmeans=True)
    ax.set_xticks(range(1, len(levels) + 1), [f"{v:g}" for v in levels])  # tick_labels= needs mpl 3.9
    ax.axhline(0.0, color="grey", linewidth=0.5)
    ax.set_xlabel(plot["x"])
    ax.set_ylabel(y)


def _curve(ax: Any, results: Any, x_col: str, y: str, plot: dict[str, Any]) -> None:
    transform = plot.get("x_transform", "none")
    x = x_values(results.column(x_col).to_pylist(), transform)
    values = results.column(y).to_numpy(zero_copy_only=False).astype(float)
    levels = np.unique(x)
    mean = [np.nanmean(values[x == v]) for v in levels]
    std = [np.nanstd(values[x == v], ddof=1) if (x == v).sum() > 1 else 0.0 for v in levels]
    ax.errorbar(levels, mean, yerr=std, marker="o", capsize=3)
    ax.set_xlabel(
        "branching ratio (spectral radius of the norms)" if transform == "spectral_radius" else plot["x"]
    )
    ax.set_ylabel(y)
    if plot.get("y_log"):
        ax.set_yscale("log")


def _impact(
    ax: Any, results: Any, x_col: str, y: str, plot: dict[str, Any], record: dict[str, Any]
) -> str | None:
    agent = plot.get("agent", y.split(".", 1)[-1])
    session_s = float(record["sweep"].get("duration_s") or 1.0)
    found = impact_fit(results, x_col, y, agent, session_s)
    ax.errorbar(
        found["sizes"],
        found["impacts"],
        yerr=found["stderr"],
        marker="o",
        linestyle="none",
        capsize=3,
        label="mean impact (± s.e.)",
    )
    ax.set_xscale("log")
    ax.set_yscale("symlog" if np.any(found["impacts"] <= 0) else "log")
    ax.set_xlabel(f"metaorder size Q ({plot['x']})")
    ax.set_ylabel(f"{y} (ticks)")
    fit = found["fit"]
    if fit is None:
        return None
    q = np.geomspace(found["sizes"].min(), found["sizes"].max(), 50)
    ax.plot(
        q,
        fit.prefactor * found["sigma"] * (q / found["volume"]) ** fit.exponent,
        label=f"fit: Y={fit.prefactor:.2f}±{fit.prefactor_stderr:.2f}, "
        f"δ={fit.exponent:.2f}±{fit.exponent_stderr:.2f}",
    )
    ax.legend()
    return f"{record['sweep']['name']}: δ = {fit.exponent:.2f} ± {fit.exponent_stderr:.2f}"


def print_summary(summary_path: str | Path, spec: SweepSpec, max_metrics: int = 5) -> None:
    """Print the per-point summary as a rich table (parameters, runs, mean ± std of a few metrics)."""
    from rich.console import Console
    from rich.table import Table

    summary = pq.read_table(summary_path)
    names = summary.column_names
    params = [c for c in names if c.startswith("param.")]
    metrics = [c[: -len("_mean")] for c in names if c.endswith("_mean") and c != "wall_s_mean"]
    metrics = [m for m in metrics if m.split(".")[0] in spec.metrics][:max_metrics]
    table = Table(title=f"{spec.name}: mean ± std across seeds")
    for c in (*params, "runs", *metrics, "wall_s"):
        table.add_column(c.removeprefix("param."), justify="right")
    for i in range(summary.num_rows):
        cells = [_cell(summary.column(c)[i].as_py()) for c in params]
        cells.append(str(summary.column("runs")[i].as_py()))
        for m in (*metrics, "wall_s"):
            mean, std = summary.column(f"{m}_mean")[i].as_py(), summary.column(f"{m}_std")[i].as_py()
            cells.append(f"{_cell(mean)} ± {_cell(std)}")
        table.add_row(*cells)
    Console().print(table)


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return "-" if math.isnan(value) else f"{value:.4g}"
    text = str(value)
    return text if len(text) <= 24 else text[:21] + "..."


if __name__ == "__main__":
    import sys

    print(plot_study(sys.argv[1], sys.argv[2] if len(sys.argv) > 2 else None))
