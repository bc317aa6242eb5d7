"""Read and write LOBSTER message and orderbook files as hftsim tables. Cold path.

LOBSTER (https://lobsterdata.com) ships one message file and one orderbook file per symbol and day,
both header-less CSV with one row per event:

* message file: ``Time, Type, Order ID, Size, Price, Direction``. Time is decimal seconds after
  midnight; Price is the dollar price times 10000; Direction is the side of the order (1 buy,
  -1 sell), so for executions it is the side of the *resting* order.
* orderbook file: ``ask px, ask size, bid px, bid size`` repeated per level, the book after the
  message on the same line. Empty levels hold the dummy prices 9999999999 (ask) and -9999999999
  (bid) with size 0.

Conversion (``tick_size`` is one tick in LOBSTER price units, 100 for one cent):

==========================  ============================================================
Type 1 submission           flow NEW
Type 2 partial cancel       flow CANCEL (qty removed)
Type 3 deletion             flow CANCEL with FlowFlag.DELETE
Type 4 visible execution    flow EXECUTE; trade with aggressor_side = -Direction
Type 5 hidden execution     flow EXECUTE with FlowFlag.HIDDEN; trade as for type 4
Type 6 cross trade          flow EXECUTE with FlowFlag.CROSS (auction: no aggressor, no trade)
Type 7 trading halt         flow HALT / RESUME_QUOTING / RESUME_TRADING for Price -1 / 0 / 1
==========================  ============================================================

A trade's ``exec_id`` is its line number in the message file, so every print can be traced back.
The L1 table takes level 1 of the orderbook file and the time of the matching message.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from hftsim.core.errors import ConfigError
from hftsim.data._csv import CsvBatch, RowBuffer, count_fields, iter_csv, write_text_atomically
from hftsim.data.tables import (
    FLOW_SCHEMA,
    L1_SCHEMA,
    TRADE_SCHEMA,
    FlowFlag,
    FlowKind,
    conform_table,
    table_from_columns,
)

__all__ = [
    "DUMMY_ASK_PX",
    "DUMMY_BID_PX",
    "LobsterTables",
    "LobsterType",
    "iter_lobster",
    "orderbook_path_for",
    "read_lobster",
    "write_lobster",
]

DUMMY_ASK_PX = 9_999_999_999
DUMMY_BID_PX = -9_999_999_999
MESSAGE_FIELDS = ("Time", "Type", "Order ID", "Size", "Price", "Direction")
_BOOK_L1_FIELDS = ("Ask Price 1", "Ask Size 1", "Bid Price 1", "Bid Size 1")


class LobsterType(IntEnum):
    """LOBSTER message type codes (the ``Type`` field)."""

    SUBMISSION = 1
    PARTIAL_CANCEL = 2
    DELETION = 3
    EXECUTION = 4
    HIDDEN_EXECUTION = 5
    CROSS_TRADE = 6
    HALT = 7


_KIND_BY_TYPE = np.array(
    [
        0,
        FlowKind.NEW,
        FlowKind.CANCEL,
        FlowKind.CANCEL,
        FlowKind.EXECUTE,
        FlowKind.EXECUTE,
        FlowKind.EXECUTE,
        0,
    ],
    dtype=np.uint8,
)
_FLAGS_BY_TYPE = np.array([0, 0, 0, FlowFlag.DELETE, 0, FlowFlag.HIDDEN, FlowFlag.CROSS, 0], dtype=np.uint8)
_HALT_KINDS = {-1: FlowKind.HALT, 0: FlowKind.RESUME_QUOTING, 1: FlowKind.RESUME_TRADING}


@dataclass(frozen=True)
class LobsterTables:
    """The hftsim tables of (part of) one LOBSTER message/orderbook pair.

    Attributes:
        flow: every message, as :data:`~hftsim.data.tables.FLOW_SCHEMA` rows.
        trades: executions of types 4 and 5, as :data:`~hftsim.data.tables.TRADE_SCHEMA` rows.
        l1: level 1 after each message (:data:`~hftsim.data.tables.L1_SCHEMA`); None without an
            orderbook file.
    """

    flow: pa.Table
    trades: pa.Table
    l1: pa.Table | None


def orderbook_path_for(message_path: str | os.PathLike[str]) -> Path:
    """Return the orderbook file LOBSTER names next to ``message_path`` (``_message_`` -> ``_orderbook_``).

    Raises:
        ConfigError: the name does not contain ``_message_``.
    """
    path = Path(message_path)
    if "_message_" not in path.name:
        raise ConfigError(
            f"{path}: cannot infer the orderbook file: LOBSTER message files are named "
            "SYMBOL_DATE_START_END_message_LEVELS.csv; pass the orderbook path explicitly"
        )
    return path.with_name(path.name.replace("_message_", "_orderbook_"))


def _check_tick_size(tick_size: int) -> int:
    if isinstance(tick_size, bool) or not isinstance(tick_size, (int, np.integer)) or tick_size < 1:
        raise ConfigError(
            f"tick_size must be a positive integer in LOBSTER price units (dollars x 10000, "
            f"100 for one cent), got {tick_size!r}"
        )
    return int(tick_size)


def _parse_messages(batch: CsvBatch, tick_size: int, previous_ts_ns: int) -> dict[str, np.ndarray]:
    """Validate one batch of message rows and return its fields as int64 arrays."""
    batch.check_not_empty()
    ts_ns = batch.seconds_as_ns("Time")
    kind = batch.integers("Type", "an integer type code 1 to 7")
    batch.check(
        (kind < 1) | (kind > 7),
        "Type",
        "1 to 7 (1 submission, 2 partial cancel, 3 deletion, 4 visible execution, "
        "5 hidden execution, 6 cross trade, 7 trading halt)",
    )
    order_id = batch.integers("Order ID", "a non-negative integer")
    batch.check(order_id < 0, "Order ID", "a non-negative integer")
    size = batch.integers("Size", "an integer number of shares")
    is_halt = kind == LobsterType.HALT
    batch.check((size <= 0) & ~is_halt, "Size", "a positive number of shares")
    batch.check(size < 0, "Size", "a non-negative number of shares")
    price = batch.integers("Price", "an integer (dollar price x 10000)")
    batch.check(
        is_halt & ((price < -1) | (price > 1)),
        "Price",
        "-1 (halt), 0 (resume quoting) or 1 (resume trading) on a type 7 message",
    )
    batch.check(~is_halt & (price <= 0), "Price", "a positive integer (dollar price x 10000)")
    batch.check(
        ~is_halt & (price % tick_size != 0),
        "Price",
        f"a multiple of the tick size {tick_size}; pass a smaller tick_size (1 keeps LOBSTER units)",
    )
    direction = batch.integers("Direction", "1 or -1")
    batch.check((direction != 1) & (direction != -1), "Direction", "1 or -1")
    before = np.concatenate(([previous_ts_ns], ts_ns[:-1]))
    batch.check(
        ts_ns < before, "Time", "at least the time of the line before (LOBSTER files are in time order)"
    )
    return {
        "ts_ns": ts_ns,
        "type": kind,
        "order_id": order_id,
        "size": size,
        "price": price,
        "direction": direction,
        "line": batch.first_line + np.arange(batch.num_rows, dtype=np.int64),
    }


def _iter_orderbook(path: Path, tick_size: int) -> Iterator[dict[str, np.ndarray]]:
    fields = count_fields(path)
    if fields % 4 != 0:
        raise ConfigError(
            f"{path}: line 1: expected 4 fields per level (Ask Price, Ask Size, Bid Price, "
            f"Bid Size), got {fields} fields"
        )
    names = [
        f"{name} {level}"
        for level in range(1, fields // 4 + 1)
        for name in ("Ask Price", "Ask Size", "Bid Price", "Bid Size")
    ]
    for batch in iter_csv(path, names, use=_BOOK_L1_FIELDS):
        batch.check_not_empty()
        ask_px, ask_qty, bid_px, bid_qty = (batch.integers(name) for name in _BOOK_L1_FIELDS)
        for name, px, qty, dummy in (
            ("Ask", ask_px, ask_qty, DUMMY_ASK_PX),
            ("Bid", bid_px, bid_qty, DUMMY_BID_PX),
        ):
            is_empty = px == dummy
            batch.check(qty < 0, f"{name} Size 1", "a non-negative number of shares")
            batch.check(
                ~is_empty & (px <= 0),
                f"{name} Price 1",
                f"a positive price (dollars x 10000) or the dummy {dummy}",
            )
            batch.check(
                ~is_empty & (px % tick_size != 0),
                f"{name} Price 1",
                f"a multiple of the tick size {tick_size}; pass a smaller tick_size",
            )
            px[is_empty] = 0
            qty[is_empty] = 0
        yield {
            "bid_px_ticks": bid_px // tick_size,
            "bid_qty": bid_qty,
            "ask_px_ticks": ask_px // tick_size,
            "ask_qty": ask_qty,
        }


def _flow_from_messages(m: dict[str, np.ndarray], tick_size: int, symbol_id: int) -> pa.Table:
    kind = _KIND_BY_TYPE[m["type"]]
    is_halt = m["type"] == LobsterType.HALT
    for status, halt_kind in _HALT_KINDS.items():
        kind[is_halt & (m["price"] == status)] = halt_kind
    return table_from_columns(
        {
            "ts_ns": m["ts_ns"],
            "symbol_id": np.full(len(kind), symbol_id, dtype=np.int32),
            "kind": kind,
            "order_id": m["order_id"],
            "side": m["direction"].astype(np.int8),
            "price_ticks": np.where(is_halt, 0, m["price"] // tick_size),
            "qty": m["size"],
            "flags": _FLAGS_BY_TYPE[m["type"]],
        },
        FLOW_SCHEMA,
        "flow",
    )


def _trades_from_messages(m: dict[str, np.ndarray], tick_size: int, symbol_id: int) -> pa.Table:
    rows = (m["type"] == LobsterType.EXECUTION) | (m["type"] == LobsterType.HIDDEN_EXECUTION)
    return table_from_columns(
        {
            "ts_ns": m["ts_ns"][rows],
            "symbol_id": np.full(int(rows.sum()), symbol_id, dtype=np.int32),
            "price_ticks": m["price"][rows] // tick_size,
            "qty": m["size"][rows],
            "aggressor_side": (-m["direction"][rows]).astype(np.int8),
            "exec_id": m["line"][rows],
        },
        TRADE_SCHEMA,
        "trades",
    )


def iter_lobster(
    message_path: str | os.PathLike[str],
    orderbook_path: str | os.PathLike[str] | None = None,
    *,
    tick_size: int,
    symbol_id: int = 0,
    block_bytes: int = 1 << 24,
) -> Iterator[LobsterTables]:
    """Stream a LOBSTER message file (and its orderbook file) as hftsim tables, chunk by chunk.

    Args:
        message_path: the message file.
        orderbook_path: the orderbook file with the same number of lines, or None for no L1 table.
        tick_size: one tick in LOBSTER price units (dollars x 10000): 100 for one cent.
        symbol_id: the ``symbol_id`` written into every row.
        block_bytes: bytes of the message file parsed per chunk.

    Yields:
        :class:`LobsterTables` for consecutive chunks of lines.

    Raises:
        ConfigError: a file is missing, a row is malformed (the message names the file, the line and
            the field), or the two files differ in length.
    """
    tick = _check_tick_size(tick_size)
    messages = Path(message_path)
    book = RowBuffer(_iter_orderbook(Path(orderbook_path), tick)) if orderbook_path is not None else None
    previous_ts_ns = np.iinfo(np.int64).min
    lines = 0
    for batch in iter_csv(messages, MESSAGE_FIELDS, block_bytes=block_bytes):
        parsed = _parse_messages(batch, tick, previous_ts_ns)
        previous_ts_ns = int(parsed["ts_ns"][-1])
        lines += batch.num_rows
        l1 = None
        if book is not None:
            levels = book.take(batch.num_rows)
            if levels is None:
                raise ConfigError(
                    f"{orderbook_path}: has fewer lines than {messages} (which has at least "
                    f"{lines}); the files must match line for line"
                )
            l1 = table_from_columns(
                {
                    "ts_ns": parsed["ts_ns"],
                    "symbol_id": np.full(batch.num_rows, symbol_id, dtype=np.int32),
                    **levels,
                },
                L1_SCHEMA,
                "l1",
            )
        yield LobsterTables(
            flow=_flow_from_messages(parsed, tick, symbol_id),
            trades=_trades_from_messages(parsed, tick, symbol_id),
            l1=l1,
        )
    if book is not None:
        extra = book.remaining_rows()
        if extra:
            raise ConfigError(
                f"{orderbook_path}: has {lines + extra} lines but {messages} has {lines}; "
                "the files must match line for line"
            )


def read_lobster(
    message_path: str | os.PathLike[str],
    orderbook_path: str | os.PathLike[str] | None = None,
    *,
    tick_size: int,
    symbol_id: int = 0,
) -> LobsterTables:
    """Read a whole LOBSTER message file (and orderbook file) into hftsim tables.

    Same arguments and errors as :func:`iter_lobster`; the chunks are concatenated.
    """
    chunks = list(iter_lobster(message_path, orderbook_path, tick_size=tick_size, symbol_id=symbol_id))
    flow = pa.concat_tables([c.flow for c in chunks]) if chunks else FLOW_SCHEMA.empty_table()
    trades = pa.concat_tables([c.trades for c in chunks]) if chunks else TRADE_SCHEMA.empty_table()
    l1 = None
    if orderbook_path is not None:
        l1 = pa.concat_tables([c.l1 for c in chunks]) if chunks else L1_SCHEMA.empty_table()
    return LobsterTables(flow=flow, trades=trades, l1=l1)


def _message_types(flow: pa.Table, where: str) -> tuple[np.ndarray, np.ndarray]:
    """Return LOBSTER type codes and halt statuses (Price of type 7) for each flow row."""
    kind = flow.column("kind").to_numpy()
    flags = flow.column("flags").to_numpy()
    types = np.zeros(len(kind), dtype=np.int64)
    types[kind == FlowKind.NEW] = LobsterType.SUBMISSION
    is_cancel = kind == FlowKind.CANCEL
    types[is_cancel] = np.where(
        flags[is_cancel] & FlowFlag.DELETE, LobsterType.DELETION, LobsterType.PARTIAL_CANCEL
    )
    is_execute = kind == FlowKind.EXECUTE
    types[is_execute] = np.select(
        [flags[is_execute] & FlowFlag.HIDDEN != 0, flags[is_execute] & FlowFlag.CROSS != 0],
        [LobsterType.HIDDEN_EXECUTION, LobsterType.CROSS_TRADE],
        LobsterType.EXECUTION,
    )
    status = np.zeros(len(kind), dtype=np.int64)
    for code, halt_kind in _HALT_KINDS.items():
        types[kind == halt_kind] = LobsterType.HALT
        status[kind == halt_kind] = code
    unmapped = np.flatnonzero(types == 0)
    if unmapped.size:
        row = int(unmapped[0])
        raise ConfigError(
            f"{where}: flow row {row}: kind {int(kind[row])} has no LOBSTER message type "
            "(LOBSTER has no replace: write it as a deletion and a new submission)"
        )
    return types, status


def _seconds_text(ts_ns: np.ndarray) -> pa.Array:
    whole = pc.cast(pa.array(ts_ns // 1_000_000_000), pa.string())
    fraction = pc.utf8_lpad(pc.cast(pa.array(ts_ns % 1_000_000_000), pa.string()), width=9, padding="0")
    return pc.binary_join_element_wise(whole, fraction, ".")


def _orderbook_columns(l1: pa.Table, tick: int) -> dict[str, np.ndarray]:
    columns = {}
    for name, dummy in (("ask", DUMMY_ASK_PX), ("bid", DUMMY_BID_PX)):
        px = l1.column(f"{name}_px_ticks").to_numpy()
        qty = l1.column(f"{name}_qty").to_numpy()
        is_empty = (px == 0) | (qty == 0)
        columns[f"{name}_px"] = np.where(is_empty, dummy, px * tick)
        columns[f"{name}_qty"] = np.where(is_empty, 0, qty)
    return {k: columns[k] for k in ("ask_px", "ask_qty", "bid_px", "bid_qty")}


def write_lobster(
    message_path: str | os.PathLike[str],
    flow: pa.Table,
    *,
    tick_size: int,
    orderbook_path: str | os.PathLike[str] | None = None,
    l1: pa.Table | None = None,
) -> None:
    """Write order flow (and, optionally, level 1 after each message) as LOBSTER files.

    Each file is written under a temporary name and renamed into place when complete. Times are
    written as seconds with 9 decimals, so ``ts_ns`` should count from midnight.

    Args:
        message_path: the message file to write.
        flow: :data:`~hftsim.data.tables.FLOW_SCHEMA` rows of one symbol, in time order.
        tick_size: one tick in LOBSTER price units (100 for one cent).
        orderbook_path: the orderbook file to write (one level), or None.
        l1: :data:`~hftsim.data.tables.L1_SCHEMA` rows, one per flow row; required with ``orderbook_path``.

    Raises:
        ConfigError: the flow holds several symbols or a REPLACE, or ``l1`` does not match ``flow``.
    """
    tick = _check_tick_size(tick_size)
    where = f"writing {message_path}"
    flow = conform_table(flow, FLOW_SCHEMA, where)
    symbols = np.unique(flow.column("symbol_id").to_numpy())
    if symbols.size > 1:
        raise ConfigError(
            f"{where}: LOBSTER files hold one symbol, the flow holds {symbols.tolist()}; "
            "filter it by symbol_id first"
        )
    types, status = _message_types(flow, where)
    is_halt = types == LobsterType.HALT
    price = np.where(is_halt, status, flow.column("price_ticks").to_numpy() * tick)
    message = pa.table(
        {
            "time": _seconds_text(flow.column("ts_ns").to_numpy()),
            "type": types,
            "order_id": flow.column("order_id"),
            "size": flow.column("qty"),
            "price": price,
            "direction": flow.column("side"),
        }
    )
    if (orderbook_path is None) != (l1 is None):
        raise ConfigError(f"{where}: give both orderbook_path and l1, or neither")
    if l1 is not None:
        l1 = conform_table(l1, L1_SCHEMA, f"writing {orderbook_path}")
        if l1.num_rows != flow.num_rows:
            raise ConfigError(
                f"writing {orderbook_path}: l1 has {l1.num_rows} rows, flow has {flow.num_rows}; "
                "LOBSTER needs the book after every message, one row each"
            )
        write_text_atomically(Path(orderbook_path), pa.table(_orderbook_columns(l1, tick)))
    write_text_atomically(Path(message_path), message)
