"""Per-agent reports: a PnL table (CSV), time series (CSV) and plots (PNG). Cold path.

Reads what each OMS recorded (:meth:`Oms.fills_array`, :meth:`Oms.marks_array`) and its ledger.
matplotlib (Agg backend) is imported inside :func:`write_report`, only when plots are asked for.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Sequence

import numpy as np

from hftsim.trading.oms._oms import Oms
from hftsim.trading.oms.ledger import UNITS_PER_TICK

__all__ = ["SUMMARY_COLUMNS", "summary_rows", "write_report"]

SUMMARY_COLUMNS = (
    "agent",
    "symbol_id",
    "position",
    "bought_qty",
    "sold_qty",
    "fill_count",
    "cash_units",
    "fees_units",
    "realized_ticks",
    "unrealized_ticks",
    "total_pnl_ticks",
    "mid_ticks",
)


def summary_rows(omss: Sequence[Oms], marks: dict[int, float] | None = None) -> list[dict]:
    """One row per agent and symbol, then one ``TOTAL`` row per agent, marked to ``marks`` (default:
    each OMS's last mid)."""
    rows = []
    for oms in omss:
        snapshots = []
        for symbol_id in oms.symbols():
            mid = (marks or {}).get(symbol_id, oms.mid(symbol_id))
            holding = oms.holding(symbol_id)
            snap = holding.snapshot(mid)
            snapshots.append(snap)
            rows.append(
                {
                    "agent": oms.name,
                    "symbol_id": symbol_id,
                    "position": snap.position,
                    "bought_qty": holding.bought_qty,
                    "sold_qty": holding.sold_qty,
                    "fill_count": holding.fill_count,
                    "cash_units": snap.cash_units,
                    "fees_units": snap.fees_units,
                    "realized_ticks": snap.realized_ticks,
                    "unrealized_ticks": round(snap.unrealized_ticks, 6),
                    "total_pnl_ticks": round(snap.total_pnl_ticks, 6),
                    "mid_ticks": mid,
                }
            )
        total = oms.total_pnl(marks)
        rows.append(
            {
                "agent": oms.name,
                "symbol_id": "TOTAL",
                "position": total.position,
                "bought_qty": sum(r["bought_qty"] for r in rows if r["agent"] == oms.name),
                "sold_qty": sum(r["sold_qty"] for r in rows if r["agent"] == oms.name),
                "fill_count": sum(r["fill_count"] for r in rows if r["agent"] == oms.name),
                "cash_units": total.cash_units,
                "fees_units": total.fees_units,
                "realized_ticks": total.realized_ticks,
                "unrealized_ticks": round(total.unrealized_ticks, 6),
                "total_pnl_ticks": round(total.total_pnl_ticks, 6),
                "mid_ticks": "",
            }
        )
    return rows


def write_report(
    omss: Sequence[Oms],
    out_dir: str | Path,
    *,
    marks: dict[int, float] | None = None,
    is_plotting: bool = True,
) -> dict[str, Path]:
    """Write ``summary.csv``, ``fills.csv``, ``marks.csv`` and (optionally) ``pnl.png`` and
    ``inventory.png`` into ``out_dir``.

    Args:
        omss: the agents' OMSs.
        out_dir: created if missing.
        marks: mid per symbol for the summary (default: each OMS's last mid).
        is_plotting: also draw the PNGs.

    Returns:
        The written files by short name (``"summary"``, ``"fills"``, ``"marks"``, ``"pnl"``, ``"inventory"``).
    """
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths = {"summary": out / "summary.csv", "fills": out / "fills.csv", "marks": out / "marks.csv"}
    _write_rows(paths["summary"], SUMMARY_COLUMNS, summary_rows(omss, marks))
    _write_arrays(paths["fills"], [(o.name, o.fills_array()) for o in omss])
    _write_arrays(paths["marks"], [(o.name, o.marks_array()) for o in omss])
    if is_plotting:
        paths.update(_plot(omss, out))
    return paths


def _write_rows(path: Path, columns: Sequence[str], rows: list[dict]) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(columns))
        writer.writeheader()
        writer.writerows(rows)


def _write_arrays(path: Path, named: list[tuple[str, np.ndarray]]) -> None:
    names = next((a.dtype.names for _, a in named), ())
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(("agent", *names))
        for agent, array in named:
            for row in array.tolist():
                writer.writerow((agent, *row))


def _plot(omss: Sequence[Oms], out: Path) -> dict[str, Path]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    paths = {"pnl": out / "pnl.png", "inventory": out / "inventory.png"}
    fig, ax = plt.subplots(figsize=(8, 4))
    for oms in omss:
        marks = oms.marks_array()
        for symbol_id in np.unique(marks["symbol_id"]):
            rows = marks[marks["symbol_id"] == symbol_id]
            ax.plot(rows["ts_event"] / 1e9, rows["total_pnl_ticks"], label=f"{oms.name} s{symbol_id}")
    ax.set(xlabel="time (s)", ylabel="PnL marked to mid (tick-shares)", title="PnL")
    _finish(fig, ax, paths["pnl"])
    fig, ax = plt.subplots(figsize=(8, 4))
    for oms in omss:
        fills = oms.fills_array()
        for symbol_id in np.unique(fills["symbol_id"]):
            rows = fills[fills["symbol_id"] == symbol_id]
            ax.step(rows["ts_event"] / 1e9, rows["position"], where="post", label=f"{oms.name} s{symbol_id}")
    ax.set(
        xlabel="time (s)", ylabel="position (shares)", title=f"Inventory (fees in 1/{UNITS_PER_TICK} ticks)"
    )
    _finish(fig, ax, paths["inventory"])
    return paths


def _finish(fig, ax, path: Path) -> None:
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize="small")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    fig.clf()
    import matplotlib.pyplot as plt

    plt.close(fig)
