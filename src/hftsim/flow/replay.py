"""Replay of recorded order flow (FLOW_SCHEMA Parquet or LOBSTER files). Hot path (act).

Each row of a :data:`~hftsim.data.tables.FLOW_SCHEMA` table becomes a command at its time:

=========  ===============================================================================
NEW        a GTC limit order at ``price_ticks`` for ``qty``; the file's ``order_id`` is mapped to
           the venue's order id
CANCEL     cancel the order when ``flags`` has DELETE or ``qty`` covers its open size, else reduce
           it by ``qty`` (a replace that keeps priority)
REPLACE    move the order to ``price_ticks`` with ``qty`` open
EXECUTE    an IOC limit order on the opposite side at ``price_ticks`` for ``qty``: against the same
           book it trades with the same resting order (the front of that level's queue). Hidden and
           cross executions, and executions of orders the file never showed, are skipped.
halts      skipped
=========  ===============================================================================

Replayed orders use owner id 0 (anonymous), which the venue never self-trade-protects, so the
recorded flow replays as it happened. With ``align_start`` the first row is moved to the session
start. :func:`flow_from_log` turns a run's command and event logs into such a table, so a run can be
replayed (market orders become the EXECUTE rows of the orders they hit).
"""

from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pyarrow as pa

from hftsim.core.enums import CommandKind, EventKind, OrderType, RejectReason, TimeInForce
from hftsim.data.tables import FLOW_SCHEMA, FlowFlag, FlowKind, flow_table, read_table
from hftsim.flow.source import FlowSource, FlowVenue

__all__ = ["ReplayFlow", "flow_from_log", "read_flow"]

_LIMIT = int(OrderType.LIMIT)
_GTC = int(TimeInForce.GTC)
_IOC = int(TimeInForce.IOC)
_ORDER_ID = struct.Struct("<16xq")
_SKIP_EXECUTE = int(FlowFlag.HIDDEN | FlowFlag.CROSS)


def read_flow(path: str | Path, lobster_tick_size: int | None = None, symbol_id: int = 0) -> pa.Table:
    """Read a FLOW_SCHEMA Parquet file, or a LOBSTER message file when ``lobster_tick_size`` is given.

    Raises:
        ConfigError: the file is missing or malformed.
    """
    if lobster_tick_size is not None:
        from hftsim.data.lobster import read_lobster

        return read_lobster(path, tick_size=lobster_tick_size, symbol_id=symbol_id).flow
    return read_table(path, FLOW_SCHEMA)


class ReplayFlow(FlowSource):
    """Replays a FLOW_SCHEMA table for one symbol.

    Args:
        name: flow name.
        symbol_id: symbol the rows are sent to (the table's ``symbol_id`` column is ignored).
        table: the rows, in time order.
        align_start: shift times so that the first row is at the session start.
    """

    def __init__(self, name: str, symbol_id: int, table: pa.Table, align_start: bool = True) -> None:
        super().__init__(name, symbol_id, population=0)
        columns = {c: table.column(c).to_numpy() for c in FLOW_SCHEMA.names}
        self._columns = columns
        self.align_start = align_start
        self.counts = {"new": 0, "cancel": 0, "replace": 0, "execute": 0, "skipped": 0}
        self._orders: dict[int, list[int]] = {}  # file order id -> [venue id, leaves, price, side]

    def bind(
        self, venue: FlowVenue, rng: np.random.Generator, start_ns: int, end_ns: int, band: tuple[int, int]
    ) -> None:
        """Attach to the kernel and place the rows on the session's time line."""
        self._venue = venue
        ts = self._columns["ts_ns"].astype(np.int64)
        shift = (start_ns - int(ts[0])) if (self.align_start and ts.size) else 0
        self._times_ns = ts + shift

    def block(self, t0_ns: int, t1_ns: int) -> np.ndarray:
        """Return the rows' times in ``[t0_ns, t1_ns)``."""
        lo, hi = np.searchsorted(self._times_ns, [t0_ns, t1_ns], side="left")
        self._rows = {
            c: self._columns[c][lo:hi].tolist()
            for c in ("kind", "order_id", "side", "price_ticks", "qty", "flags")
        }
        return self._times_ns[lo:hi]

    def act(self, j: int, t_ns: int) -> None:
        """Send the command of row ``j``."""
        rows = self._rows
        kind, file_id = rows["kind"][j], rows["order_id"][j]
        side, px, qty = rows["side"][j], rows["price_ticks"][j], rows["qty"][j]
        venue, sym = self._venue, self.symbol_id
        order = self._orders.get(file_id)
        if kind == FlowKind.NEW:
            raw = venue.new_order(t_ns, sym, side, _LIMIT, _GTC, px, qty, 0)
            if raw[84] == EventKind.ACCEPTED:
                self._orders[file_id] = [_ORDER_ID.unpack_from(raw)[0], qty, px, side]
            self.counts["new"] += 1
        elif order is None or kind > FlowKind.EXECUTE:
            self.counts["skipped"] += 1
        elif kind == FlowKind.CANCEL:
            self.counts["cancel"] += 1
            if rows["flags"][j] & FlowFlag.DELETE or qty >= order[1]:
                venue.cancel(t_ns, sym, order[0], 0)
                del self._orders[file_id]
            else:
                order[1] -= qty
                venue.replace(t_ns, sym, order[0], 0, order[2], order[1])
        elif kind == FlowKind.REPLACE:
            self.counts["replace"] += 1
            order[1], order[2] = qty, px
            venue.replace(t_ns, sym, order[0], 0, px, qty)
        elif rows["flags"][j] & _SKIP_EXECUTE:
            self.counts["skipped"] += 1
        else:
            self.counts["execute"] += 1
            venue.new_order(t_ns, sym, -order[3], _LIMIT, _IOC, px, qty, 0)
            order[1] -= qty
            if order[1] <= 0:
                del self._orders[file_id]


def flow_from_log(commands: np.ndarray, events: np.ndarray, symbol_id: int = 0) -> pa.Table:
    """Turn a run's command and event logs into FLOW_SCHEMA rows that replay it.

    Limit orders become NEW rows (with the venue's order id), user cancels CANCEL rows, replaces
    REPLACE rows; a market order becomes the EXECUTE rows of the resting orders it traded with
    (and CANCEL rows of resting orders that self-trade prevention removed). Rejected commands are
    dropped.

    Args:
        commands: :data:`~hftsim.core.arrays.COMMAND_DTYPE` records of a run.
        events: :data:`~hftsim.core.arrays.EVENT_DTYPE` records of the same run.
        symbol_id: the symbol to export.

    Returns:
        A FLOW_SCHEMA table in time order.
    """
    by_seq: dict[int, list] = {}
    for e in events[events["symbol_id"] == symbol_id].tolist():
        by_seq.setdefault(e[0], []).append(e)
    rows: list[tuple[int, int, int, int, int, int]] = []  # ts, kind, order_id, side, price, qty, flags
    for c in commands[commands["symbol_id"] == symbol_id].tolist():
        seq, ts, kind = c[0], c[1], c[8]
        evs = by_seq.get(seq, [])
        if not evs or evs[0][12] == EventKind.REJECTED:
            continue
        if kind == CommandKind.NEW and c[10] == _LIMIT:
            rows.append((ts, FlowKind.NEW, evs[0][2], c[9], c[4], c[5], 0))
        elif kind == CommandKind.NEW:
            for e in evs:
                if e[12] == EventKind.FILLED and not e[16] & 1:
                    rows.append((ts, FlowKind.EXECUTE, e[2], e[13], e[6], e[7], 0))
                elif e[12] == EventKind.CANCELED and e[15] == RejectReason.SELF_TRADE:
                    rows.append((ts, FlowKind.CANCEL, e[2], e[13], e[6], e[7], int(FlowFlag.DELETE)))
        elif kind == CommandKind.CANCEL:
            e = evs[0]
            rows.append((ts, FlowKind.CANCEL, e[2], e[13], e[6], e[7], int(FlowFlag.DELETE)))
        elif kind == CommandKind.REPLACE:
            e = evs[0]
            rows.append((ts, FlowKind.REPLACE, e[2], e[13], e[6], e[8], 0))
    cols = np.array(rows, dtype=np.int64).reshape(-1, 7)
    return flow_table(
        ts_ns=cols[:, 0],
        symbol_id=np.full(len(cols), symbol_id, dtype=np.int32),
        kind=cols[:, 1].astype(np.uint8),
        order_id=cols[:, 2],
        side=cols[:, 3].astype(np.int8),
        price_ticks=cols[:, 4],
        qty=cols[:, 5],
        flags=cols[:, 6].astype(np.uint8),
    )
