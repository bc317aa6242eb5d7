"""Summary metrics of one run, computed from its log stream. Cold path.

:class:`MetricSink` is a kernel sink: it keeps the top-of-book records, the agents' fills and first
command times and counts the trades, so nothing heavy is written. :func:`run_metrics` turns that
into one flat row. The same arrays can be read back from a kept run directory
(:func:`metrics_from_run_dir`), and both paths give the same row.

Market metrics refer to symbol 0:

* ``spread_mean_ticks``: time-weighted mean of ask - bid while both sides are quoted;
* ``volatility``: realised volatility of the mid sampled every second, ticks per sqrt(second):
  ``sqrt(mean((m[t+1] - m[t])^2))``;
* ``trades``, ``volume``: number of trades and shares traded (all symbols);
* ``events``: commands delivered to the venue plus venue events (the kernel's ``n_total``).

Per agent ``a`` (owner ids 1, 2, ... in scenario order), from its fills:

* ``pnl_ticks.a``: cash plus position marked at the final mid of each symbol, tick-shares, no fees;
* ``position.a``, ``filled_qty.a`` (shares bought plus sold), ``vwap_ticks.a``;
* ``impact_ticks.a``: ``sign * (mid just after the last fill - mid before the first command)``, the
  peak impact of a metaorder (``sign`` of the net position: +1 bought, -1 sold);
* ``shortfall_ticks.a``: ``sign * (vwap - arrival mid)`` per share.

Undefined values (no fills, no two-sided quote) are NaN.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE
from hftsim.core.enums import EventKind
from hftsim.sim.kernel import L1_RECORD_DTYPE, KernelResult, LogChunk

__all__ = ["METRICS", "MetricSink", "metrics_from_run_dir", "run_metrics"]

#: metric name -> meaning; per-agent families give one column ``<name>.<agent>`` per agent.
METRICS: dict[str, str] = {
    "spread_mean_ticks": "time-weighted mean spread of symbol 0, ticks",
    "volatility": "realised volatility of the symbol-0 mid on a 1 s grid, ticks per sqrt(s)",
    "trades": "number of trades",
    "volume": "shares traded",
    "events": "commands delivered plus venue events",
    "pnl_ticks": "per agent: cash + position at the final mid, tick-shares (no fees)",
    "position": "per agent: final position, shares",
    "filled_qty": "per agent: shares bought plus shares sold",
    "vwap_ticks": "per agent: volume-weighted fill price, ticks",
    "impact_ticks": "per agent: signed mid move from before the first command to after the last fill",
    "shortfall_ticks": "per agent: signed vwap minus arrival mid, ticks per share",
}
PER_AGENT = ("pnl_ticks", "position", "filled_qty", "vwap_ticks", "impact_ticks", "shortfall_ticks")
_FILL_FIELDS = ("ts_event", "owner_id", "symbol_id", "side", "price_ticks", "qty")


class MetricSink:
    """A kernel sink keeping what :func:`run_metrics` needs.

    Args:
        n_agents: agents in the scenario (owner ids 1..n_agents).
    """

    def __init__(self, n_agents: int) -> None:
        self._n_agents = n_agents
        self._l1: list[np.ndarray] = []
        self._fills: list[np.ndarray] = []
        self._first_command_ns = np.full(n_agents + 1, -1, dtype=np.int64)
        self.n_trades = 0
        self.volume = 0

    def __call__(self, chunk: LogChunk) -> None:
        events = np.frombuffer(chunk.events, dtype=EVENT_DTYPE)
        self._l1.append(np.frombuffer(chunk.l1, dtype=L1_RECORD_DTYPE).copy())
        trades = events[events["kind"] == EventKind.TRADE]
        self.n_trades += len(trades)
        self.volume += int(trades["qty"].sum())
        if self._n_agents:
            fills = events[(events["kind"] == EventKind.FILLED) & (events["owner_id"] >= 1)]
            fills = fills[fills["owner_id"] <= self._n_agents]
            self._fills.append(np.stack([fills[f].astype(np.int64) for f in _FILL_FIELDS], axis=1))
            commands = np.frombuffer(chunk.commands, dtype=COMMAND_DTYPE)
            for owner in range(1, self._n_agents + 1):
                if self._first_command_ns[owner] < 0:
                    mine = commands["ts_event"][commands["owner_id"] == owner]
                    if len(mine):
                        self._first_command_ns[owner] = int(mine[0])

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(l1 records, fills as int64 rows of _FILL_FIELDS, first command ns per owner)``."""
        l1 = np.concatenate(self._l1) if self._l1 else np.zeros(0, dtype=L1_RECORD_DTYPE)
        fills = np.concatenate(self._fills) if self._fills else np.zeros((0, len(_FILL_FIELDS)), np.int64)
        return l1, fills, self._first_command_ns


def run_metrics(
    l1: np.ndarray,
    fills: np.ndarray,
    first_command_ns: np.ndarray,
    kernel: KernelResult,
    agent_names: list[str],
    start_ns: int,
    end_ns: int,
    n_trades: int,
    volume: int,
) -> dict[str, float | int]:
    """Return the flat metric row of one run (every metric; the caller selects)."""
    q = l1[l1["symbol_id"] == 0]
    is_two_sided = (q["bid_qty"] > 0) & (q["ask_qty"] > 0)
    row: dict[str, float | int] = {
        "spread_mean_ticks": _spread_mean(q, is_two_sided, end_ns),
        "volatility": _volatility(q, is_two_sided, start_ns, end_ns),
        "trades": int(n_trades),
        "volume": int(volume),
        "events": int(kernel.n_total),
    }
    final_mid = [(b[0] + b[3]) / 2 if b[1] > 0 and b[4] > 0 else math.nan for b in kernel.final_l1]
    for i, name in enumerate(agent_names):
        row.update(_agent_metrics(name, fills[fills[:, 1] == i + 1], first_command_ns[i + 1], l1, final_mid))
    return row


def _spread_mean(q: np.ndarray, is_two_sided: np.ndarray, end_ns: int) -> float:
    if not is_two_sided.any():
        return math.nan
    ts = np.append(q["ts_ns"], end_ns)
    weights = np.diff(ts).astype(float) * is_two_sided
    spread = (q["ask_px_ticks"] - q["bid_px_ticks"]).astype(float)
    total = weights.sum()
    return float((spread * weights).sum() / total) if total > 0 else math.nan


def _mid_at(q: np.ndarray, times_ns: np.ndarray, side: str = "right") -> np.ndarray:
    """Mid of the last two-sided quote at (``right``: at or before; ``left``: before) each time."""
    ok = (q["bid_qty"] > 0) & (q["ask_qty"] > 0)
    ts = q["ts_ns"][ok]
    mids = (q["bid_px_ticks"][ok] + q["ask_px_ticks"][ok]) / 2.0
    idx = np.searchsorted(ts, times_ns, side=side) - 1
    return np.where(idx >= 0, mids[np.maximum(idx, 0)] if len(mids) else math.nan, math.nan)


def _volatility(q: np.ndarray, is_two_sided: np.ndarray, start_ns: int, end_ns: int) -> float:
    grid = np.arange(start_ns, end_ns + 1, 1_000_000_000, dtype=np.int64)
    mids = _mid_at(q, grid)
    steps = np.diff(mids)
    steps = steps[np.isfinite(steps)]
    return float(np.sqrt(np.mean(steps**2))) if len(steps) else math.nan


def _agent_metrics(
    name: str, fills: np.ndarray, first_ns: int, l1: np.ndarray, final_mid: list[float]
) -> dict[str, float | int]:
    side, px, qty, sym = fills[:, 3], fills[:, 4].astype(float), fills[:, 5], fills[:, 2]
    signed = side * qty
    position = int(signed.sum())
    cash = float(-(signed * px).sum())
    exposure = sum(float(signed[sym == s].sum()) * final_mid[s] for s in np.unique(sym))
    filled = int(qty.sum())
    vwap = float((px * qty).sum() / filled) if filled else math.nan
    impact = shortfall = math.nan
    if filled and first_ns >= 0:
        q = l1[l1["symbol_id"] == sym[0]]
        arrival = float(_mid_at(q, np.array([first_ns]), side="left")[0])
        after = float(_mid_at(q, np.array([fills[-1, 0]]))[0])
        sign = 1.0 if position > 0 else -1.0 if position < 0 else float(np.sign(signed[0]))
        impact = sign * (after - arrival)
        shortfall = sign * (vwap - arrival)
    return {
        f"pnl_ticks.{name}": cash + exposure if filled else 0.0,
        f"position.{name}": position,
        f"filled_qty.{name}": filled,
        f"vwap_ticks.{name}": vwap,
        f"impact_ticks.{name}": impact,
        f"shortfall_ticks.{name}": shortfall,
    }


def metrics_from_run_dir(
    run_dir: str | Path, kernel: KernelResult, agent_names: list[str], start_ns: int, end_ns: int
) -> dict[str, float | int]:
    """Compute :func:`run_metrics` from a run directory written by ``run_scenario`` (all outputs on)."""
    import pyarrow.parquet as pq

    run_dir = Path(run_dir)
    l1_table = pq.read_table(run_dir / "l1.parquet")
    l1 = np.zeros(l1_table.num_rows, dtype=L1_RECORD_DTYPE)
    for field in L1_RECORD_DTYPE.names:
        l1[field] = l1_table.column(field).to_numpy()
    events = pq.read_table(run_dir / "events.parquet", columns=[*_FILL_FIELDS, "kind"])
    kind = events.column("kind").to_numpy()
    owner = events.column("owner_id").to_numpy()
    mask = (kind == EventKind.FILLED) & (owner >= 1) & (owner <= len(agent_names))
    fills = np.stack([events.column(f).to_numpy()[mask].astype(np.int64) for f in _FILL_FIELDS], axis=1)
    trades = kind == EventKind.TRADE
    commands = pq.read_table(run_dir / "commands.parquet", columns=["ts_event", "owner_id"])
    cmd_ts, cmd_owner = commands.column("ts_event").to_numpy(), commands.column("owner_id").to_numpy()
    first = np.full(len(agent_names) + 1, -1, dtype=np.int64)
    for o in range(1, len(agent_names) + 1):
        mine = cmd_ts[cmd_owner == o]
        if len(mine):
            first[o] = int(mine[0])
    volume = int(events.column("qty").to_numpy()[trades].sum())
    return run_metrics(l1, fills, first, kernel, agent_names, start_ns, end_ns, int(trades.sum()), volume)
