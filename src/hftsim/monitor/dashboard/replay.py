"""Replay a finished run directory on the dashboard. Cold path.

A run directory needs only ``l1.parquet`` and ``trades.parquet`` (the tables of
:mod:`hftsim.data.tables`); ``metrics.json`` (written by :meth:`MetricsRegistry.dump
<hftsim.monitor.metrics.MetricsRegistry.dump>`) and ``summary.json`` are read when present. The
run's session is replayed in ``duration_s`` of wall time: each snapshot shows the top of book at the
replay time, the trades up to it, trade and quote rates over the last interval, and the run's final
latency, backlog and PnL figures from ``metrics.json``. At the end the final figures stay on screen.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from hftsim.core.clock import Clock
from hftsim.core.errors import ConfigError
from hftsim.monitor.metrics import load_metrics_file

__all__ = ["REQUIRED_FILES", "RunReplay", "check_run_dir"]

REQUIRED_FILES = ("l1.parquet", "trades.parquet")


def check_run_dir(run_dir: str | os.PathLike[str]) -> Path:
    """Return ``run_dir`` as a Path after checking it holds a run the dashboard can show.

    Raises:
        ConfigError: the directory does not exist, or it holds no market-data metrics (l1/trades).
    """
    path = Path(run_dir)
    if not path.exists():
        raise ConfigError(f"{path}: no such run directory; pass the --out directory of `hftsim simulate`")
    if not path.is_dir():
        raise ConfigError(
            f"{path}: not a directory; pass a run directory (holding {', '.join(REQUIRED_FILES)})"
        )
    missing = [name for name in REQUIRED_FILES if not (path / name).is_file()]
    if missing:
        found = sorted(p.name for p in path.iterdir())[:10]
        raise ConfigError(
            f"{path}: this run has no metrics to show: missing {', '.join(missing)} "
            f"(found: {found or 'nothing'}). Run the scenario with its l1 and trades outputs enabled."
        )
    return path


class RunReplay:
    """A snapshot source replaying a run directory (see the module docstring).

    Args:
        run_dir: the run directory.
        clock: wall clock (default: monotonic).
        duration_s: wall seconds the whole session takes to replay.
        symbol_id: the symbol whose book is shown (default: the one with most L1 rows).

    Raises:
        ConfigError: see :func:`check_run_dir`; a table or ``metrics.json`` that cannot be read.
    """

    def __init__(
        self,
        run_dir: str | os.PathLike[str],
        clock: Clock | None = None,
        duration_s: float = 30.0,
        symbol_id: int | None = None,
    ) -> None:
        from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, read_table

        if clock is None:
            from hftsim.monitor._clock import MonotonicClock

            clock = MonotonicClock()
        if duration_s <= 0:
            raise ConfigError(f"duration_s must be > 0, got {duration_s}")
        self.path = check_run_dir(run_dir)
        l1 = read_table(self.path / "l1.parquet", L1_SCHEMA)
        trades = read_table(self.path / "trades.parquet", TRADE_SCHEMA)
        self.metrics: dict[str, Any] | None = None
        if (self.path / "metrics.json").is_file():
            self.metrics = load_metrics_file(self.path / "metrics.json")
        self.summary = _read_summary(self.path / "summary.json")
        l1_sym = l1.column("symbol_id").to_numpy()
        if symbol_id is None:
            symbol_id = int(np.bincount(l1_sym).argmax()) if len(l1_sym) else 0
        self.symbol_id = symbol_id
        keep = l1_sym == symbol_id
        self._l1 = _sorted({name: l1.column(name).to_numpy()[keep] for name in L1_SCHEMA.names})
        self._l1_all_ts = np.sort(l1.column("ts_ns").to_numpy(), kind="stable")
        self._trades = _sorted({name: trades.column(name).to_numpy() for name in TRADE_SCHEMA.names})
        self._qty_cum = np.cumsum(self._trades["qty"])
        stamps = [a for a in (self._l1_all_ts, self._trades["ts_ns"]) if len(a)]
        self.start_ns = int(min(a.min() for a in stamps)) if stamps else 0
        self.end_ns = int(max(a.max() for a in stamps)) if stamps else 0
        self._clock = clock
        self._duration_ns = int(duration_s * 1e9)
        self._wall_start = clock.now_ns()
        self._last_sim_ns = self.start_ns
        self._last_wall = self._wall_start
        self._symbol = self._symbol_name(symbol_id)

    def _symbol_name(self, symbol_id: int) -> str:
        books = (self.summary or {}).get("final_books")
        if isinstance(books, dict) and symbol_id < len(books):
            return list(books)[symbol_id]
        return f"symbol {symbol_id}"

    def sim_time_ns(self) -> int:
        """The run time shown now (moves from the first to the last record over ``duration_s``)."""
        elapsed = self._clock.now_ns() - self._wall_start
        fraction = min(1.0, elapsed / self._duration_ns)
        return self.start_ns + int(fraction * (self.end_ns - self.start_ns))

    def __call__(self) -> dict[str, Any]:
        now_sim = self.sim_time_ns()
        wall = self._clock.now_ns()
        dt_sim_s = max(now_sim - self._last_sim_ns, 0) / 1e9
        n_trades = int(np.searchsorted(self._trades["ts_ns"], now_sim, side="right"))
        n_trades_before = int(np.searchsorted(self._trades["ts_ns"], self._last_sim_ns, side="right"))
        n_quotes = int(np.searchsorted(self._l1_all_ts, now_sim, side="right"))
        n_quotes_before = int(np.searchsorted(self._l1_all_ts, self._last_sim_ns, side="right"))
        self._last_sim_ns, self._last_wall = now_sim, wall
        rate = (lambda n: n / dt_sim_s) if dt_sim_s > 0 else (lambda n: 0.0)
        metrics = self.metrics or {"counters": {}, "gauges": {}, "histograms": {}}
        gauges = metrics["gauges"]
        counters = {
            "trades": n_trades,
            "traded_qty": int(self._qty_cum[n_trades - 1]) if n_trades else 0,
            "l1_changes": n_quotes,
            **{f"run.{k}": v for k, v in metrics["counters"].items()},
        }
        return {
            "title": f"hftsim run {self.path.name}",
            "mode": "replay",
            "finished": now_sim >= self.end_ns,
            "t_s": (now_sim - self.start_ns) / 1e9,
            "throughput": {
                "commands_per_s": None,
                "events_per_s": rate(n_quotes - n_quotes_before),
                "trades_per_s": rate(n_trades - n_trades_before),
            },
            "counters": counters,
            "gauges": gauges,
            "latency": {_stage(k): v for k, v in metrics["histograms"].items()},
            "backlog": _by_name(gauges, "queue_backlog_messages"),
            "consumers": _by_name(gauges, "queue_consumers"),
            "pnl": _by_name(gauges, "agent_pnl_tick_shares"),
            "book": self._book(now_sim),
            "trades": self._recent_trades(n_trades),
            "decisions": [],
            "has_metrics": self.metrics is not None,
        }

    def _book(self, now_sim: int) -> dict[str, Any]:
        i = int(np.searchsorted(self._l1["ts_ns"], now_sim, side="right")) - 1
        if i < 0:
            return {"symbol": self._symbol, "bids": [], "asks": []}
        q = {k: int(v[i]) for k, v in self._l1.items()}
        bids = [[q["bid_px_ticks"], q["bid_qty"], None]] if q["bid_qty"] > 0 else []
        asks = [[q["ask_px_ticks"], q["ask_qty"], None]] if q["ask_qty"] > 0 else []
        return {"symbol": self._symbol, "bids": bids, "asks": asks}

    def _recent_trades(self, n_trades: int, last: int = 20) -> list[list[int]]:
        lo = max(0, n_trades - last)
        t = self._trades
        return [
            [int(t["ts_ns"][i]), int(t["price_ticks"][i]), int(t["qty"][i]), int(t["aggressor_side"][i])]
            for i in range(n_trades - 1, lo - 1, -1)
        ]


def _sorted(columns: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    order = np.argsort(columns["ts_ns"], kind="stable")
    return {name: values[order] for name, values in columns.items()}


def _stage(key: str) -> str:
    return key[: -len("_latency")] if key.endswith("_latency") else key


def _by_name(gauges: dict[str, Any], name: str) -> dict[str, Any]:
    out = {}
    for key, value in gauges.items():
        if key.startswith(name + "{"):
            out[key.split('"')[1]] = value
    return out


def _read_summary(path: Path) -> dict[str, Any] | None:
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return None  # summary.json is optional: the dashboard only borrows symbol names from it
    return data if isinstance(data, dict) else None
