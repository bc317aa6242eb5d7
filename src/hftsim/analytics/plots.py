"""PNG plots of stylized facts. Cold path.

matplotlib is imported inside the functions and used through its object API with the Agg canvas,
so importing this module is cheap and no global backend or pyplot state is touched.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from hftsim.analytics.stylized import StylizedFacts, interval_label

__all__ = [
    "PLOT_FILES",
    "plot_facts",
    "plot_interarrival",
    "plot_return_acf",
    "plot_sign_acf",
    "plot_signature",
    "plot_spread",
]

#: File names :func:`plot_facts` writes.
PLOT_FILES = ("spread.png", "signature.png", "return_acf.png", "sign_acf.png", "interarrival.png")


def _figure():
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(6.4, 4.0), dpi=100)
    FigureCanvasAgg(figure)
    return figure, figure.add_subplot(1, 1, 1)


def _save(figure, path: str | os.PathLike[str]) -> Path:
    target = Path(path)
    temporary = target.with_name(f".{target.name}.partial")
    figure.tight_layout()
    try:
        figure.savefig(temporary, format="png", metadata={"Software": None})
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def _no_data(axes, what: str) -> None:
    axes.text(0.5, 0.5, f"not enough data for {what}", ha="center", va="center", transform=axes.transAxes)


def plot_spread(facts: StylizedFacts, path: str | os.PathLike[str]) -> Path:
    """Plot the time-weighted spread distribution (bars per tick) to a PNG file."""
    figure, axes = _figure()
    spread = facts.spread
    if spread.values.size:
        axes.bar(spread.values, spread.weights, width=0.8, color="tab:blue")
        axes.set_xticks(spread.values[:20])
    else:
        _no_data(axes, "the spread")
    axes.set(title="Bid-ask spread", xlabel="spread (ticks)", ylabel="fraction of time")
    return _save(figure, path)


def plot_signature(facts: StylizedFacts, path: str | os.PathLike[str]) -> Path:
    """Plot realised variance per second against the sampling interval (log x axis)."""
    figure, axes = _figure()
    sig = facts.signature
    if sig.intervals_ns.size:
        seconds = sig.intervals_ns * 1e-9
        axes.plot(seconds, sig.realized_variance_per_s, "o-", color="tab:blue")
        axes.set_xscale("log")
        axes.set_xticks(seconds, [interval_label(int(i)) for i in sig.intervals_ns])
        axes.set_ylim(bottom=0)
    else:
        _no_data(axes, "the signature plot")
    axes.set(title="Signature plot", xlabel="sampling interval", ylabel="realised variance (ticks² / s)")
    return _save(figure, path)


def plot_return_acf(facts: StylizedFacts, path: str | os.PathLike[str]) -> Path:
    """Plot the autocorrelation of mid returns with the ±2/√n band."""
    figure, axes = _figure()
    acf = facts.return_acf[1:]
    if acf.size and np.isfinite(acf).any():
        lags = np.arange(1, acf.size + 1)
        axes.bar(lags, acf, width=0.8, color="tab:blue")
        count = int(facts.signature.num_returns[0]) if facts.signature.num_returns.size else 0
        if count:
            band = 2.0 / np.sqrt(count)
            axes.axhline(band, color="grey", linestyle="--")
            axes.axhline(-band, color="grey", linestyle="--")
    else:
        _no_data(axes, "the return autocorrelation")
    axes.axhline(0.0, color="black", linewidth=0.5)
    title = (
        f"Mid-return autocorrelation ({interval_label(facts.return_acf_interval_ns)} returns)"
        if facts.return_acf_interval_ns
        else "Mid-return autocorrelation"
    )
    axes.set(title=title, xlabel="lag", ylabel="autocorrelation")
    return _save(figure, path)


def plot_sign_acf(facts: StylizedFacts, path: str | os.PathLike[str]) -> Path:
    """Plot the trade-sign autocorrelation on log-log axes with the power-law fit."""
    figure, axes = _figure()
    acf = facts.sign_acf[1:]
    lags = np.arange(1, acf.size + 1)
    is_positive = np.isfinite(acf) & (acf > 0)
    if is_positive.any():
        axes.loglog(lags[is_positive], acf[is_positive], ".", color="tab:blue", label="observed")
        fit = facts.sign_fit
        if np.isfinite(fit.gamma):
            axes.loglog(
                lags,
                fit.amplitude * lags**-fit.gamma,
                "-",
                color="tab:red",
                label=rf"fit ${fit.amplitude:.2f}\,k^{{-{fit.gamma:.2f}}}$",
            )
        axes.legend()
    else:
        _no_data(axes, "the sign autocorrelation")
    axes.set(title="Trade-sign autocorrelation", xlabel="lag (trades)", ylabel="autocorrelation")
    return _save(figure, path)


def plot_interarrival(facts: StylizedFacts, path: str | os.PathLike[str]) -> Path:
    """Plot the histogram of trade inter-arrival times against the fitted exponential density."""
    figure, axes = _figure()
    arrivals = facts.interarrival
    durations = arrivals.durations_s
    if durations.size >= 2 and np.isfinite(arrivals.mean_s):
        top = float(np.quantile(durations, 0.99)) or float(durations.max()) or 1.0
        bins = 50
        # density relative to all durations, so the 1% cut off beyond ``top`` does not inflate the bars
        axes.hist(
            durations,
            bins=bins,
            range=(0.0, top),
            weights=np.full(durations.size, bins / (durations.size * top)),
            color="tab:blue",
            alpha=0.7,
            label="observed",
        )
        grid = np.linspace(0.0, top, 200)
        axes.plot(
            grid,
            arrivals.rate_per_s * np.exp(-arrivals.rate_per_s * grid),
            color="tab:red",
            label=f"exponential, CV=1 (observed CV={arrivals.cv:.2f})",
        )
        axes.set_yscale("log")
        axes.legend()
    else:
        _no_data(axes, "inter-arrival times")
    axes.set(title="Trade inter-arrival times", xlabel="seconds", ylabel="density")
    return _save(figure, path)


def plot_facts(facts: StylizedFacts, out_dir: str | os.PathLike[str]) -> list[Path]:
    """Write every plot into ``out_dir`` under the names in :data:`PLOT_FILES`; return the paths."""
    directory = Path(out_dir)
    directory.mkdir(parents=True, exist_ok=True)
    plotters = (plot_spread, plot_signature, plot_return_acf, plot_sign_acf, plot_interarrival)
    return [plot(facts, directory / name) for plot, name in zip(plotters, PLOT_FILES)]
