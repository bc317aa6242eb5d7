"""Engine events to ITCH 5.0 messages: the venue's market-data view of the book. Hot path.

The translator follows the engine's event stream (:data:`~hftsim.core.arrays.EVENT_DTYPE`) and keeps
the displayed book as the feed shows it: every resting order with its current ITCH reference number.

=================================  ===========================================================
event                              ITCH message(s)
=================================  ===========================================================
ACCEPTED                           none yet: the order is *pending* until it rests or dies
BOOK_DELTA on the pending order's  'A' Add Order (a new order) or 'U' Order Replace (a replaced
side                               order that rested without trading): the order now rests
FILLED of a resting order          'E' Order Executed (maker, at its displayed price; match
                                   number = exec_id); 'P' Trade when the maker is not displayed
FILLED of the aggressor            none (the aggressor never showed on the book)
CANCELED                           'X' Order Cancel (partial, self-trade decrement) or 'D' Order
                                   Delete (the order is gone)
REPLACED keeping priority          'X' for the quantity decrease (nothing when unchanged)
REPLACED losing priority           'U' when the order rests without trading; otherwise 'D' of
                                   the old reference before its first execution, then 'A'
EXPIRED of a resting order         'D'
REJECTED, TRADE, other deltas      none
=================================  ===========================================================

Reference numbers: an order's first reference is its engine ``order_id``; each replace that loses
priority gives it a new one, ``order_id | version << 40`` (so ``ref & REF_ORDER_MASK`` is always
the engine id). Stock Locate is ``symbol_id + 1`` (0 is for non-stock messages). Prices are
Price(4): ``price_ticks * tick_size * 10**4``. Timestamps are ``ts_event`` modulo one day.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Sequence

import numpy as np

from hftsim.core.arrays import EVENT_DTYPE
from hftsim.core.enums import EventFlag, EventKind
from hftsim.core.errors import ConfigError, InvariantError
from hftsim.core.instrument import Instrument
from hftsim.matching.engine import event_tuples
from hftsim.net.feed._translate import run as _run_compiled
from hftsim.net.itch import (
    MAX_PRICE_E4,
    AddOrder,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderReplace,
    StockDirectory,
    SystemEvent,
    TradeNonCross,
    encode,
    encode_add_order,
    encode_order_delete,
)

__all__ = [
    "EVENT_FIELDS",
    "EventTranslator",
    "NS_PER_DAY",
    "REF_ORDER_BITS",
    "REF_ORDER_MASK",
    "price_scale_e4",
]

NS_PER_DAY = 86_400 * 1_000_000_000
REF_ORDER_BITS = 40
REF_ORDER_MASK = (1 << REF_ORDER_BITS) - 1
#: the EVENT_DTYPE field order that :meth:`EventTranslator.translate` unpacks (checked by a test)
EVENT_FIELDS = (
    "cmd_seq",
    "ts_event",
    "order_id",
    "contra_order_id",
    "client_order_id",
    "exec_id",
    "price_ticks",
    "qty",
    "leaves_qty",
    "owner_id",
    "symbol_id",
    "level_orders",
    "kind",
    "side",
    "aggressor_side",
    "reason",
    "flags",
)
assert EVENT_DTYPE.names == EVENT_FIELDS

_ACCEPTED, _FILLED, _CANCELED = int(EventKind.ACCEPTED), int(EventKind.FILLED), int(EventKind.CANCELED)
_REPLACED, _EXPIRED, _DELTA = int(EventKind.REPLACED), int(EventKind.EXPIRED), int(EventKind.BOOK_DELTA)
_AGGRESSOR, _KEPT = int(EventFlag.AGGRESSOR), int(EventFlag.PRIORITY_KEPT)


def price_scale_e4(instrument: Instrument) -> int:
    """Return the Price(4) units per tick of ``instrument``.

    Raises:
        ConfigError: the tick size has more than 4 decimals, or the band's top price does not fit
            Price(4).
    """
    scale = Decimal(instrument.tick_size) * 10_000
    if scale != scale.to_integral_value():
        raise ConfigError(
            f"instrument {instrument.symbol!r}: tick_size {instrument.tick_size} has more than 4 decimals; "
            "ITCH Price(4) cannot carry it"
        )
    scale_e4 = int(scale)
    if instrument.band_high_ticks * scale_e4 > MAX_PRICE_E4:
        raise ConfigError(
            f"instrument {instrument.symbol!r}: band_high_ticks {instrument.band_high_ticks} is "
            f"{instrument.band_high_ticks * scale_e4} in Price(4), above the ITCH maximum {MAX_PRICE_E4}"
        )
    return scale_e4


def _stock8(symbol: str) -> bytes | None:
    """The Alpha(8) bytes of a stock symbol, or None when it is not 1-8 ASCII characters."""
    if not symbol.isascii() or not 0 < len(symbol) <= 8 or symbol != symbol.rstrip():
        return None
    return symbol.encode("ascii").ljust(8)


class _Pending:
    """The order of the command being applied, until it rests or dies."""

    __slots__ = ("order_id", "side", "price_ticks", "leaves", "symbol_id", "old_ref", "is_leaving")

    def __init__(self, order_id, side, price_ticks, leaves, symbol_id, old_ref=0, is_leaving=False):
        self.order_id = order_id
        self.side = side
        self.price_ticks = price_ticks
        self.leaves = leaves
        self.symbol_id = symbol_id
        self.old_ref = old_ref  # displayed reference still on the feed's book (a replace), else 0
        self.is_leaving = is_leaving  # the next event is the delta of the level the order left


class EventTranslator:
    """Translate engine events into ITCH 5.0 messages (encoded bytes, no length prefix).

    Args:
        instruments: the venue's instruments (``symbol_id`` 0, 1, ... in order); may be empty when
            only :meth:`start_of_day`/:meth:`end_of_day` are wanted.
        compiled: translate the plain events (an order that rests untouched, a cancel that removes
            one) with the compiled lane (``_translate.c``); False translates everything here. The
            messages and the book are the same either way (tests/unit/feed).
    """

    def __init__(self, instruments: Sequence[Instrument], compiled: bool = True) -> None:
        self.instruments = tuple(instruments)
        self._compiled = compiled
        for i, ins in enumerate(self.instruments):
            if ins.symbol_id != i:
                raise ConfigError(
                    f"instruments[{i}] ({ins.symbol}): symbol_id must be {i}, got {ins.symbol_id}"
                )
        self._scale = [price_scale_e4(ins) for ins in self.instruments]
        self._stock = [ins.symbol for ins in self.instruments]
        # Alpha(8) stock fields for the hot path; None when only the general encoder can judge one
        self._stock8 = [_stock8(ins.symbol) for ins in self.instruments]
        # order_id -> [ref, side, price_ticks, leaves, symbol_id]; insertion order is time priority
        self._live: dict[int, list[int]] = {}
        self._pending: _Pending | None = None
        self.unknown_makers = 0

    # ------------------------------------------------------------ session messages

    def start_of_day(self, ts_event: int) -> list[bytes]:
        """Return System Event 'O' (start of messages) and one Stock Directory per instrument."""
        ts = ts_event % NS_PER_DAY
        out = [encode(SystemEvent(stock_locate=0, timestamp_ns=ts, event_code="O"))]
        for ins in self.instruments:
            out.append(
                encode(
                    StockDirectory(
                        stock_locate=ins.symbol_id + 1,
                        timestamp_ns=ts,
                        stock=ins.symbol,
                        round_lot_size=ins.lot_size,
                        round_lots_only="Y" if ins.lot_size > 1 else "N",
                    )
                )
            )
        return out

    def end_of_day(self, ts_event: int) -> list[bytes]:
        """Return System Event 'C' (end of messages)."""
        return [encode(SystemEvent(stock_locate=0, timestamp_ns=ts_event % NS_PER_DAY, event_code="C"))]

    def snapshot(self, ts_event: int) -> list[bytes]:
        """Return the displayed book as Add Order messages, in time priority (FIFO within a level)."""
        ts = ts_event % NS_PER_DAY
        return [
            self._add(ts, ref, side, px, leaves, sym) for ref, side, px, leaves, sym in self._live.values()
        ]

    def live_orders(self) -> int:
        """Return the number of orders on the displayed book."""
        return len(self._live)

    # ------------------------------------------------------------ events

    def translate(self, events: np.ndarray, out: list[bytes] | None = None) -> list[bytes]:
        """Append the ITCH messages of ``events`` (EVENT_DTYPE, in engine order) to ``out`` and return it."""
        out = [] if out is None else out
        n = len(events)
        i = 0
        records = None
        while i < n:
            if self._pending is None and self._compiled:  # the plain events, compiled
                i = _run_compiled(events, i, self._live, self._stock8, self._scale, out)
                if i >= n:
                    break
            if records is None:
                records = event_tuples(events)
            self._on_event(records[i], out)
            i += 1
        return out

    def _on_event(self, record: tuple, out: list[bytes]) -> None:
        (
            _cmd_seq,
            ts_event,
            order_id,
            _contra,
            _clid,
            exec_id,
            px,
            qty,
            leaves,
            _owner,
            sym,
            _n,
            kind,
            side,
            _aggressor_side,
            _reason,
            flags,
        ) = record
        ts = ts_event % NS_PER_DAY
        if kind == _DELTA:
            self._on_delta(ts, side, out)
        elif kind == _FILLED:
            self._on_filled(ts, order_id, exec_id, side, px, qty, leaves, sym, flags, out)
        elif kind == _CANCELED:
            self._on_canceled(ts, order_id, qty, leaves, out)
        elif kind == _ACCEPTED:
            if self._pending is not None:
                raise InvariantError(
                    f"order {order_id} accepted while order {self._pending.order_id} is pending"
                )
            self._pending = _Pending(order_id, side, px, leaves, sym)
        elif kind == _REPLACED:
            self._on_replaced(ts, order_id, px, qty, leaves, sym, flags, out)
        elif kind == _EXPIRED:
            self._on_expired(ts, order_id, out)

    def _add(self, ts: int, ref: int, side: int, px: int, leaves: int, sym: int) -> bytes:
        stock8 = self._stock8[sym]
        if stock8 is None:
            return encode(
                AddOrder(
                    stock_locate=sym + 1,
                    timestamp_ns=ts,
                    order_reference_number=ref,
                    side="B" if side > 0 else "S",
                    shares=leaves,
                    stock=self._stock[sym],
                    price_e4=px * self._scale[sym],
                )
            )
        return encode_add_order(
            sym + 1, ts, ref, b"B" if side > 0 else b"S", leaves, stock8, px * self._scale[sym]
        )

    def _retire_old_ref(self, ts: int, pending: _Pending, out: list[bytes]) -> None:
        # A replaced order that trades: its old reference leaves the feed's book before any execution.
        if pending.old_ref > 0 and not pending.is_leaving:
            out.append(
                encode(
                    OrderDelete(
                        stock_locate=pending.symbol_id + 1,
                        timestamp_ns=ts,
                        order_reference_number=pending.old_ref,
                    )
                )
            )
            pending.old_ref = -pending.old_ref  # keep the version for the next reference

    def _on_delta(self, ts: int, side: int, out: list[bytes]) -> None:
        p = self._pending
        if p is None or side != p.side:
            return
        if p.is_leaving:
            p.is_leaving = False
            return
        self._pending = None
        sym = p.symbol_id
        if p.old_ref > 0:
            ref = p.old_ref + (1 << REF_ORDER_BITS)
            out.append(
                encode(
                    OrderReplace(
                        stock_locate=sym + 1,
                        timestamp_ns=ts,
                        original_order_reference_number=p.old_ref,
                        new_order_reference_number=ref,
                        shares=p.leaves,
                        price_e4=p.price_ticks * self._scale[sym],
                    )
                )
            )
        else:
            ref = -p.old_ref + (1 << REF_ORDER_BITS) if p.old_ref else p.order_id
            out.append(self._add(ts, ref, p.side, p.price_ticks, p.leaves, sym))
        self._live[p.order_id] = [ref, p.side, p.price_ticks, p.leaves, sym]

    def _on_filled(self, ts, order_id, exec_id, side, px, qty, leaves, sym, flags, out) -> None:
        p = self._pending
        if p is not None:
            self._retire_old_ref(ts, p, out)
        if flags & _AGGRESSOR:
            if p is not None and p.order_id == order_id:
                p.leaves = leaves
                if leaves == 0:
                    self._pending = None
            return
        live = self._live.get(order_id)
        if live is None:
            self.unknown_makers += 1
            out.append(
                encode(
                    TradeNonCross(
                        stock_locate=sym + 1,
                        timestamp_ns=ts,
                        order_reference_number=0,
                        side="B" if side > 0 else "S",
                        shares=qty,
                        stock=self._stock[sym],
                        price_e4=px * self._scale[sym],
                        match_number=exec_id,
                    )
                )
            )
            return
        out.append(
            encode(
                OrderExecuted(
                    stock_locate=live[4] + 1,
                    timestamp_ns=ts,
                    order_reference_number=live[0],
                    executed_shares=qty,
                    match_number=exec_id,
                )
            )
        )
        if leaves == 0:
            del self._live[order_id]
        else:
            live[3] = leaves

    def _on_canceled(self, ts, order_id, qty, leaves, out) -> None:
        p = self._pending
        if p is not None:
            self._retire_old_ref(ts, p, out)
            if p.order_id == order_id:
                p.leaves = leaves
                if leaves == 0:
                    self._pending = None
                return
        live = self._live.get(order_id)
        if live is None:
            return
        locate, ref = live[4] + 1, live[0]
        if leaves == 0:
            del self._live[order_id]
            out.append(encode_order_delete(locate, ts, ref))
        else:
            live[3] = leaves
            out.append(
                encode(
                    OrderCancel(
                        stock_locate=locate, timestamp_ns=ts, order_reference_number=ref, cancelled_shares=qty
                    )
                )
            )

    def _on_replaced(self, ts, order_id, px, prev_leaves, leaves, sym, flags, out) -> None:
        live = self._live.get(order_id)
        if live is None:
            raise InvariantError(f"REPLACED for order {order_id}, which the feed does not show")
        if flags & _KEPT:
            if leaves < live[3]:
                out.append(
                    encode(
                        OrderCancel(
                            stock_locate=sym + 1,
                            timestamp_ns=ts,
                            order_reference_number=live[0],
                            cancelled_shares=live[3] - leaves,
                        )
                    )
                )
                live[3] = leaves
            return
        del self._live[order_id]
        if self._pending is not None:
            raise InvariantError(f"order {order_id} replaced while order {self._pending.order_id} is pending")
        self._pending = _Pending(order_id, live[1], px, leaves, sym, old_ref=live[0], is_leaving=True)

    def _on_expired(self, ts, order_id, out) -> None:
        p = self._pending
        if p is not None:
            self._retire_old_ref(ts, p, out)
            if p.order_id == order_id:
                self._pending = None
                return
        live = self._live.pop(order_id, None)
        if live is not None:
            out.append(
                encode(OrderDelete(stock_locate=live[4] + 1, timestamp_ns=ts, order_reference_number=live[0]))
            )
