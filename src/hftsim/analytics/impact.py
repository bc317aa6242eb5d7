"""Market impact of a run: response function, sign correlation and propagator. Cold path.

For the trades of one symbol, in time order, with signs ``eps_n`` (+1 buyer-initiated) and the mid
price ``p_n`` quoted just before trade ``n``:

* the response function ``R(l) = <(p_{n+l} - p_n) eps_n>``,
* the sign autocorrelation ``C(l) = <eps_{n+l} eps_n>``,
* the propagator ``G(l)`` of Bouchaud, Gefen, Potters & Wyart (2004), "Fluctuations and response in
  financial markets: the subtle nature of 'random' price changes", *Quantitative Finance* 4(2):
  ``p_n = sum_{m<n} G(n - m) eps_m + noise``, so that ``R(l) = sum_k G(k) C(l - k)`` (solved for
  the increments of ``G`` by :func:`hftsim.trading.models.propagator.estimate_propagator`).

Several trades printed by one aggressive order (same timestamp and sign) count as one, as in the
literature, so that a sweep through three levels is one event, not three.
"""

from __future__ import annotations

import argparse
import csv
import sys
from pathlib import Path

import msgspec
import numpy as np

from hftsim.core.errors import ConfigError

__all__ = ["ImpactCurves", "add_parser", "impact_curves", "impact_from_run", "trade_signs_and_mids"]


class ImpactCurves(msgspec.Struct, frozen=True, kw_only=True):
    """Impact curves of one symbol, lags ``0..max_lag`` in trade time (ticks for prices)."""

    lags: list[int]
    response_ticks: list[float]
    sign_autocorrelation: list[float]
    propagator_ticks: list[float]
    n_trades: int


def trade_signs_and_mids(l1: dict, trades: dict, symbol_id: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Signs of aggressive orders and the mid just before each (first print of an order only).

    Args:
        l1: columns ``ts_ns, symbol_id, bid_px_ticks, ask_px_ticks`` (numpy arrays), time ordered.
        trades: columns ``ts_ns, symbol_id, aggressor_side``, time ordered.
        symbol_id: the symbol.

    Returns:
        ``(signs, mids)``; trades before the book had two sides are dropped.
    """
    q = l1["symbol_id"] == symbol_id
    q_ts, bid, ask = l1["ts_ns"][q], l1["bid_px_ticks"][q], l1["ask_px_ticks"][q]
    t = trades["symbol_id"] == symbol_id
    t_ts, side = trades["ts_ns"][t], trades["aggressor_side"][t].astype(np.int64)
    first = np.ones(len(t_ts), dtype=bool)
    first[1:] = (t_ts[1:] != t_ts[:-1]) | (side[1:] != side[:-1])
    t_ts, side = t_ts[first], side[first]
    # the quote in force strictly before the trade: the L1 row a trade itself produced has ts == trade ts
    idx = np.searchsorted(q_ts, t_ts, side="left") - 1
    ok = idx >= 0
    idx = np.where(ok, idx, 0)
    two_sided = ok & (bid[idx] > 0) & (ask[idx] > 0)
    mids = (bid[idx] + ask[idx]) / 2.0
    return side[two_sided].astype(float), mids[two_sided]


def impact_curves(signs: np.ndarray, mids: np.ndarray, max_lag: int = 50) -> ImpactCurves:
    """Response, sign correlation and propagator of a sign and mid series."""
    from hftsim.trading.models.propagator import estimate_propagator, response_function, sign_autocorrelation

    if len(signs) <= 2 * max_lag:
        raise ConfigError(
            f"impact: {len(signs)} aggressive orders are too few for max_lag {max_lag}; "
            f"need more than {2 * max_lag} (a longer run, or a smaller --max-lag)"
        )
    return ImpactCurves(
        lags=list(range(max_lag + 1)),
        response_ticks=response_function(signs, mids, max_lag).tolist(),
        sign_autocorrelation=sign_autocorrelation(signs, max_lag).tolist(),
        propagator_ticks=estimate_propagator(signs, mids, max_lag).tolist(),
        n_trades=int(len(signs)),
    )


def impact_from_run(run_dir: Path, symbol_id: int = 0, max_lag: int = 50) -> ImpactCurves:
    """Impact curves of a run directory (``l1.parquet`` and ``trades.parquet``).

    Raises:
        ConfigError: the directory or its files are missing or unreadable, or the run is too short.
    """
    from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, read_table

    for name in ("l1.parquet", "trades.parquet"):
        if not (run_dir / name).is_file():
            raise ConfigError(f"{run_dir}: no {name}; expected a run directory written by `hftsim simulate`")
    l1 = read_table(run_dir / "l1.parquet", L1_SCHEMA)
    trades = read_table(run_dir / "trades.parquet", TRADE_SCHEMA)
    signs, mids = trade_signs_and_mids(
        {c: l1[c].to_numpy() for c in ("ts_ns", "symbol_id", "bid_px_ticks", "ask_px_ticks")},
        {c: trades[c].to_numpy() for c in ("ts_ns", "symbol_id", "aggressor_side")},
        symbol_id,
    )
    return impact_curves(signs, mids, max_lag)


def write_impact(curves: ImpactCurves, out_dir: Path) -> tuple[Path, Path]:
    """Write ``impact.csv`` and ``impact.png`` (response, propagator and sign correlation)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    csv_path, png_path = out_dir / "impact.csv", out_dir / "impact.png"
    tmp = csv_path.with_name(".impact.csv.tmp")
    with tmp.open("w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["lag", "response_ticks", "sign_autocorrelation", "propagator_ticks"])
        for row in zip(
            curves.lags, curves.response_ticks, curves.sign_autocorrelation, curves.propagator_ticks
        ):
            w.writerow([row[0], *(f"{v:.6g}" for v in row[1:])])
    tmp.replace(csv_path)
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    fig = Figure(figsize=(10, 4))
    FigureCanvasAgg(fig)
    ax1, ax2 = fig.subplots(1, 2)
    ax1.plot(curves.lags, curves.response_ticks, label="response R(l)")
    ax1.plot(curves.lags, curves.propagator_ticks, label="propagator G(l)")
    ax1.set(xlabel="lag (aggressive orders)", ylabel="ticks", title=f"impact ({curves.n_trades:,} orders)")
    ax1.legend()
    lags = np.array(curves.lags[1:])
    acf = np.array(curves.sign_autocorrelation[1:])
    ax2.loglog(lags[acf > 0], acf[acf > 0], "o", markersize=3)
    ax2.set(xlabel="lag", ylabel="C(l)", title="trade-sign autocorrelation")
    tmp_png = png_path.with_name(".impact.png.tmp")
    fig.savefig(tmp_png, format="png", dpi=100)
    tmp_png.replace(png_path)
    return csv_path, png_path


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``impact RUN_DIR``."""
    p = subparsers.add_parser(
        "impact",
        help="response function and propagator of a run's trades",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("run_dir", type=Path, help="a run directory (l1.parquet, trades.parquet)")
    p.add_argument("--symbol-id", type=int, default=0)
    p.add_argument("--max-lag", type=int, default=50, help="lags in aggressive orders (default 50)")
    p.add_argument("--out", type=Path, default=None, help="output directory (default: RUN_DIR/impact)")
    p.set_defaults(func=_run)
    return p


def _run(args: argparse.Namespace) -> int:
    try:
        curves = impact_from_run(args.run_dir, args.symbol_id, args.max_lag)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    csv_path, png_path = write_impact(curves, args.out or args.run_dir / "impact")
    r, g = curves.response_ticks, curves.propagator_ticks
    print(
        f"{curves.n_trades:,} aggressive orders; R(1) = {r[1]:.3f}, R({len(r) - 1}) = {r[-1]:.3f} ticks; "
        f"G(1) = {g[1]:.3f}, G({len(g) - 1}) = {g[-1]:.3f} ticks; C(1) = {curves.sign_autocorrelation[1]:.3f}"
    )
    print(f"wrote {csv_path} and {png_path}")
    return 0
