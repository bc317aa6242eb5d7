"""PNG plots of stress outcomes (matplotlib, Agg backend, imported only when drawing). Cold path."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from hftsim.stress.outcome import PlotData

__all__ = ["draw", "draw_cdf_compare"]


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _cdf(ax, samples: np.ndarray, label: str, style: str = "-") -> None:
    x = np.sort(np.asarray(samples, dtype=float))
    x = x[np.isfinite(x)]
    if x.size == 0:
        return
    y = np.arange(1, x.size + 1) / x.size
    ax.plot(x, y, style, label=f"{label} (n={x.size:,})", linewidth=1.2)


def draw(plot: PlotData, out_dir: Path) -> Path:
    """Draw one figure into ``out_dir/<name>.png`` and return the path."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7.5, 4.2), dpi=100)
    is_log = False
    for label, data in plot.series.items():
        if plot.kind == "cdf":
            _cdf(ax, data, label)
            is_log = True
        elif plot.kind == "throughput":
            ax.plot(data[0], data[1], "o-", label=label)
        elif plot.kind == "backlog":
            ax.step(data[0], data[1], where="post", label=label)
        else:  # latency_over_time, series
            ax.plot(data[0], data[1], ".-" if len(data[0]) < 60 else "-", label=label, linewidth=1)
            is_log = plot.kind == "latency_over_time"
    if plot.kind == "cdf":
        ax.set_ylabel("fraction of samples ≤ x")
        ax.set_xlabel(plot.xlabel or plot.unit)
    else:
        ax.set_xlabel(plot.xlabel)
        ax.set_ylabel(plot.ylabel or plot.unit)
    if plot.kind == "throughput":
        lim = [0, max([max(d[0]) for d in plot.series.values() if len(d[0])] or [1])]
        ax.plot(lim, lim, ":", color="grey", label="offered")
    if is_log and _positive(plot):
        ax.set_xscale("log") if plot.kind == "cdf" else ax.set_yscale("log")
    ax.set_title(plot.title, fontsize=10)
    ax.grid(True, alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out_dir / f"{plot.name}.png"
    fig.savefig(path)
    plt.close(fig)
    return path


def _positive(plot: PlotData) -> bool:
    for data in plot.series.values():
        values = np.asarray(data if plot.kind == "cdf" else data[1], dtype=float)
        if values.size and np.nanmin(values) <= 0:
            return False
    return True


def draw_cdf_compare(
    name: str, title: str, before: np.ndarray, after: np.ndarray, unit: str, out_dir: Path
) -> Path:
    """Draw the baseline's and this run's CDF of the same samples on one figure."""
    return draw(
        PlotData(name, "cdf", title, {"baseline": before, "this run": after}, unit, f"{unit}"), out_dir
    )
