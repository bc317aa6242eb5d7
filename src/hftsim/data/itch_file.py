"""Nasdaq TotalView-ITCH 5.0 files to L1 and trade tables. Cold path.

The file (length-prefixed messages, ``.gz`` allowed) is read with :func:`hftsim.net.itch.iter_itch_file`
and every order is tracked in an :class:`~hftsim.net.feed.book.ItchBook` (all symbols: executions and
cancels do not name their stock). For the selected symbols it writes

* ``l1.parquet`` (:data:`~hftsim.data.tables.L1_SCHEMA`): one row each time a symbol's best bid or
  ask (price or size) changes;
* ``trades.parquet`` (:data:`~hftsim.data.tables.TRADE_SCHEMA`): one row per execution: 'E' at the
  resting order's price, printable 'C' at its execution price, and 'P' (non-displayed) trades.

Prices are Price(4) units, i.e. ticks of 0.0001; ``symbol_id`` is the ITCH Stock Locate.
``aggressor_side`` is the opposite of the resting order's side ('P': of its Buy/Sell indicator).
A truncated or corrupt file raises :class:`~hftsim.core.errors.ProtocolError` naming the byte offset.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

import msgspec

from hftsim.core.errors import ProtocolError
from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, TableWriter, l1_table, trade_table
from hftsim.net.feed.book import ItchBook
from hftsim.net.itch import (
    ItchMessage,
    OrderExecuted,
    OrderExecutedWithPrice,
    TradeNonCross,
    iter_itch_file,
    open_itch_file,
)

__all__ = ["ItchFileSummary", "convert_itch_file", "iter_itch_records"]

_BATCH_ROWS = 1 << 16


class ItchFileSummary(msgspec.Struct, frozen=True, kw_only=True):
    """What :func:`convert_itch_file` read and wrote."""

    messages: int
    l1_rows: int
    trade_rows: int
    symbols: dict[int, str]
    l1_path: str | None
    trades_path: str | None


def iter_itch_records(path: str | os.PathLike) -> Iterator[tuple[int, ItchMessage]]:
    """Yield ``(byte_offset, record)`` for the supported messages of an ITCH file."""
    with open_itch_file(path) as stream:
        yield from iter_itch_file(stream)


class _Rows:
    def __init__(self, names: tuple[str, ...]) -> None:
        self.columns: dict[str, list[int]] = {n: [] for n in names}
        self.count = 0

    def add(self, *values: int) -> None:
        for column, value in zip(self.columns.values(), values):
            column.append(value)
        self.count += 1

    def take(self) -> dict[str, list[int]]:
        out = self.columns
        self.columns = {n: [] for n in out}
        return out


def convert_itch_file(
    path: str | os.PathLike, out_dir: str | os.PathLike | None = None, symbols: list[str] | None = None
) -> ItchFileSummary:
    """Rebuild books from an ITCH file and write L1 and trade Parquet tables.

    Args:
        path: the ITCH 5.0 file (``.gz`` allowed).
        out_dir: directory for ``l1.parquet`` and ``trades.parquet`` (None: read and count only).
        symbols: stocks to keep (None: all).

    Raises:
        ProtocolError: a truncated or corrupt file; the message names the byte offset.
    """
    wanted = set(symbols) if symbols else None
    book = ItchBook(strict=True)
    keep: dict[int, bool] = {}
    last_l1: dict[int, tuple[int, int, int, int]] = {}
    l1 = _Rows(tuple(L1_SCHEMA.names))
    trades = _Rows(tuple(TRADE_SCHEMA.names))
    messages = 0
    writers = _writers(out_dir)
    with writers[0] as l1_writer, writers[1] as trade_writer:
        for offset, record in iter_itch_records(path):
            messages += 1
            locate = record.stock_locate
            if isinstance(record, (OrderExecuted, TradeNonCross)):
                _trade_row(book, record, trades, keep, offset)
            try:
                book.apply(record)
            except ProtocolError as e:
                raise ProtocolError(f"{os.fspath(path)}: at byte offset {offset}: {e}") from e
            if locate not in keep and locate in book.stocks:
                keep[locate] = wanted is None or book.stocks[locate] in wanted
            if locate and keep.get(locate) and not isinstance(record, TradeNonCross):
                top = book.l1(locate)
                if top != last_l1.get(locate, (0, 0, 0, 0)):
                    last_l1[locate] = top
                    l1.add(record.timestamp_ns, locate, top[0], top[1], top[2], top[3])
            if l1_writer is not None and l1.count >= _BATCH_ROWS:
                l1_writer.write(l1_table(**l1.take()))
            if trade_writer is not None and trades.count >= _BATCH_ROWS:
                trade_writer.write(trade_table(**trades.take()))
        if l1_writer is not None:
            l1_writer.write(l1_table(**l1.take()))
            trade_writer.write(trade_table(**trades.take()))
    return ItchFileSummary(
        messages=messages,
        l1_rows=l1.count,
        trade_rows=trades.count,
        symbols={loc: book.stocks[loc] for loc in sorted(keep) if keep[loc]},
        l1_path=None if out_dir is None else str(Path(out_dir) / "l1.parquet"),
        trades_path=None if out_dir is None else str(Path(out_dir) / "trades.parquet"),
    )


class _NoWriter:
    def __enter__(self):
        return None

    def __exit__(self, *exc) -> None:
        return None


def _writers(out_dir):
    if out_dir is None:
        return _NoWriter(), _NoWriter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return TableWriter(out / "l1.parquet", L1_SCHEMA), TableWriter(out / "trades.parquet", TRADE_SCHEMA)


def _trade_row(book: ItchBook, record, trades: _Rows, keep: dict[int, bool], offset: int) -> None:
    locate = record.stock_locate
    if isinstance(record, TradeNonCross):
        if keep.get(locate, False) or (locate not in keep and locate not in book.stocks):
            side = 1 if record.side == "B" else -1
            trades.add(
                record.timestamp_ns, locate, record.price_e4, record.shares, -side, record.match_number
            )
        return
    order = book.orders.get(record.order_reference_number)
    if order is None:
        raise ProtocolError(
            f"at byte offset {offset}: execution of order reference {record.order_reference_number}, "
            "which is not on the book (a corrupt file, or one that does not start at the start of day)"
        )
    if not keep.get(order[0], False):
        return
    if isinstance(record, OrderExecutedWithPrice):
        if record.printable != "Y":
            return
        px = record.execution_price_e4
    else:
        px = order[2]
    trades.add(record.timestamp_ns, order[0], px, record.executed_shares, -order[1], record.match_number)
