"""The naive twin: a small, obviously correct matching engine that specifies the semantics. Cold path.

Property tests drive it and the compiled engine with the same random command streams and compare
every event and the final books. Where this file and ``hftsim/matching/_book.c`` disagree, this file
is right by definition.

The rules, in the order events are emitted:

* **New order.** Validation in this order: symbol, side, order type (a market order cannot be
  post-only), time in force, quantity (positive, multiple of the lot, at most the maximum), price
  (limit only: inside the band, on the price step), duplicate client order id (a live order of the
  same owner in the same symbol), post-only crossing. A failure emits one REJECTED and changes
  nothing. Otherwise the order gets the next order id and ACCEPTED is emitted; a FOK that cannot fill
  completely then emits EXPIRED (NO_LIQUIDITY). The order matches against the opposite side, best
  price first, oldest first, at the resting order's price: per execution FILLED (resting), FILLED
  (aggressor), TRADE, BOOK_DELTA (the resting level after the execution). A GTC/DAY limit remainder
  rests at the tail of its level (BOOK_DELTA); any other remainder expires (EXPIRED, NO_LIQUIDITY).
* **Self-trade prevention** when the resting order has the aggressor's (non-zero) owner:
  CANCEL_RESTING cancels the resting order (CANCELED, BOOK_DELTA) and goes on; CANCEL_INCOMING
  cancels the aggressor's remainder (CANCELED) and stops; DECREMENT_BOTH takes the smaller quantity
  off both without trading (CANCELED resting, BOOK_DELTA, CANCELED aggressor) and goes on while the
  aggressor has quantity left. A FOK counts only liquidity it could trade with: self orders are
  skipped under CANCEL_RESTING and make it fail under the other modes.
* **Cancel** of an unknown order or one of another owner: REJECTED (UNKNOWN_ORDER). Otherwise
  CANCELED (USER) and BOOK_DELTA.
* **Replace** (new open quantity and price): validation of quantity, price, new client order id
  and, for a post-only order moving price, crossing. A decrease or no change at the same price keeps
  priority (REPLACED with PRIORITY_KEPT, then BOOK_DELTA if the quantity changed). Otherwise the order
  leaves its level (REPLACED, BOOK_DELTA of the old level), matches as an aggressor if it crosses, and
  rests at the tail of its new level.
* **End of session** expires DAY orders (EXPIRED, END_OF_SESSION) in ascending price, then time
  priority, with one BOOK_DELTA per level touched, after that level's expiries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Sequence

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE, L3_DTYPE, records
from hftsim.core.enums import (
    CommandKind,
    EventFlag,
    EventKind,
    OrderType,
    RejectReason,
    StpMode,
    TimeInForce,
)
from hftsim.core.instrument import Instrument

__all__ = ["ReferenceEngine"]

_RESTING_TIFS = (TimeInForce.GTC, TimeInForce.DAY)


@dataclass
class _Order:
    order_id: int
    client_order_id: int
    owner_id: int
    side: int
    price_ticks: int  # 0 for market orders
    leaves_qty: int
    tif: int
    post_only: bool
    is_market: bool = False


@dataclass
class _Book:
    instrument: Instrument
    # price -> orders in time priority; a side's keys are its non-empty levels
    bids: dict[int, list[_Order]] = field(default_factory=dict)
    asks: dict[int, list[_Order]] = field(default_factory=dict)
    by_id: dict[int, _Order] = field(default_factory=dict)

    def side_levels(self, side: int) -> dict[int, list[_Order]]:
        return self.bids if side > 0 else self.asks

    def best_bid(self) -> int | None:
        return max(self.bids) if self.bids else None

    def best_ask(self) -> int | None:
        return min(self.asks) if self.asks else None

    def level_qty(self, side: int, price: int) -> tuple[int, int]:
        orders = self.side_levels(side).get(price, [])
        return sum(o.leaves_qty for o in orders), len(orders)

    def crossable(self, aggressor: _Order) -> list[_Order]:
        """Opposite orders the aggressor may trade with, in priority order."""
        if aggressor.side > 0:
            prices = sorted(p for p in self.asks if aggressor.is_market or p <= aggressor.price_ticks)
            return [o for p in prices for o in self.asks[p]]
        prices = sorted(
            (p for p in self.bids if aggressor.is_market or p >= aggressor.price_ticks), reverse=True
        )
        return [o for p in prices for o in self.bids[p]]

    def rest(self, order: _Order) -> None:
        self.side_levels(order.side).setdefault(order.price_ticks, []).append(order)

    def unlink(self, order: _Order) -> None:
        levels = self.side_levels(order.side)
        levels[order.price_ticks].remove(order)
        if not levels[order.price_ticks]:
            del levels[order.price_ticks]


class ReferenceEngine:
    """A multi-symbol matching engine written for clarity, with the compiled engine's interface.

    Args:
        instruments: the symbols, indexed by their ``symbol_id`` (0, 1, ...).
        stp_mode: self-trade prevention for all symbols.
    """

    def __init__(self, instruments: Sequence[Instrument], stp_mode: StpMode = StpMode.CANCEL_RESTING) -> None:
        self.instruments = tuple(instruments)
        self.stp_mode = StpMode(stp_mode)
        self._books = [_Book(i) for i in self.instruments]
        self._next_order_id = 1
        self._next_exec_id = 1
        self._events: list[tuple] = []
        self._seq = 0
        self._ts = 0
        self._symbol_id = 0

    # ------------------------------------------------------------ public interface

    def new_order(
        self,
        seq,
        ts,
        symbol_id,
        side,
        order_type,
        tif,
        post_only,
        price_ticks,
        qty,
        owner_id,
        client_order_id,
    ) -> int:
        """Apply a new order; return the number of events (read them with :meth:`last_events`)."""
        self._begin(seq, ts, symbol_id)
        self._new(side, order_type, tif, bool(post_only), price_ticks, qty, owner_id, client_order_id)
        return len(self._events)

    def cancel(self, seq, ts, symbol_id, order_id, owner_id, client_order_id) -> int:
        """Apply a cancel; return the number of events."""
        self._begin(seq, ts, symbol_id)
        self._cancel(order_id, owner_id, client_order_id)
        return len(self._events)

    def replace(self, seq, ts, symbol_id, order_id, owner_id, client_order_id, price_ticks, qty) -> int:
        """Apply a cancel-replace; return the number of events."""
        self._begin(seq, ts, symbol_id)
        self._replace(order_id, owner_id, client_order_id, price_ticks, qty)
        return len(self._events)

    def end_session(self, seq, ts, symbol_id) -> int:
        """Expire DAY orders of a symbol; return the number of events."""
        self._begin(seq, ts, symbol_id)
        self._end_session()
        return len(self._events)

    def submit_record(self, record: tuple) -> int:
        """Apply one command given as a flat :data:`COMMAND_DTYPE` tuple; return the event count."""
        seq, ts, order_id, clid, px, qty, owner, sym, kind, side, otype, tif, post = record
        if kind == CommandKind.NEW:
            return self.new_order(seq, ts, sym, side, otype, tif, post, px, qty, owner, clid)
        if kind == CommandKind.CANCEL:
            return self.cancel(seq, ts, sym, order_id, owner, clid)
        if kind == CommandKind.REPLACE:
            return self.replace(seq, ts, sym, order_id, owner, clid, px, qty)
        if kind == CommandKind.END_SESSION:
            return self.end_session(seq, ts, sym)
        self._begin(seq, ts, sym)
        self._reject(order_id, clid, owner, RejectReason.INVALID_COMMAND)
        return len(self._events)

    def last_events(self) -> np.ndarray:
        """Events of the last per-command call as :data:`EVENT_DTYPE` records."""
        return records(self._events, EVENT_DTYPE)

    def run_batch(self, commands: np.ndarray) -> np.ndarray:
        """Apply :data:`COMMAND_DTYPE` records in order; return all their events."""
        out: list[tuple] = []
        for record in commands.astype(COMMAND_DTYPE).tolist():
            self.submit_record(record)
            out.extend(self._events)
        return records(out, EVENT_DTYPE)

    def l1(self, symbol_id: int) -> tuple[int, int, int, int, int, int]:
        """(bid_px, bid_qty, bid_orders, ask_px, ask_qty, ask_orders); zeros for an empty side."""
        book = self._books[symbol_id]
        bb, ba = book.best_bid(), book.best_ask()
        bid = (bb, *book.level_qty(1, bb)) if bb is not None else (0, 0, 0)
        ask = (ba, *book.level_qty(-1, ba)) if ba is not None else (0, 0, 0)
        return (*bid, *ask)

    def l2(self, symbol_id: int, depth: int) -> tuple[list, list]:
        """(bids, asks): lists of (price, qty, orders), best first."""
        book = self._books[symbol_id]
        bids = [(p, *book.level_qty(1, p)) for p in sorted(book.bids, reverse=True)[:depth]]
        asks = [(p, *book.level_qty(-1, p)) for p in sorted(book.asks)[:depth]]
        return bids, asks

    def l3(self, symbol_id: int) -> np.ndarray:
        """Resting orders: bids best first, then asks best first, FIFO within a level."""
        book = self._books[symbol_id]
        rows = []
        for side, prices in ((1, sorted(book.bids, reverse=True)), (-1, sorted(book.asks))):
            for p in prices:
                for o in book.side_levels(side)[p]:
                    rows.append(
                        (
                            o.order_id,
                            o.client_order_id,
                            p,
                            o.leaves_qty,
                            o.owner_id,
                            o.side,
                            o.tif,
                            int(o.post_only),
                        )
                    )
        return records(rows, L3_DTYPE)

    def load_orders(self, symbol_id: int, l3: np.ndarray) -> None:
        """Append resting orders (L3 records in priority order) to an empty book, keeping their ids."""
        book = self._books[symbol_id]
        if book.by_id:
            raise ValueError("load_orders needs an empty book")
        for i, (oid, clid, px, leaves, owner, side, tif, post) in enumerate(np.asarray(l3).tolist()):
            ins = book.instrument
            if (
                not ins.band_low_ticks <= px <= ins.band_high_ticks
                or leaves <= 0
                or side not in (1, -1)
                or oid in book.by_id
                or (clid != 0 and self._clid_taken(book, owner, clid))
                or self._would_cross(book, side, px)
            ):
                raise ValueError(f"record {i} (order {oid}) is not a valid resting order of this book")
            order = _Order(oid, clid, owner, side, px, leaves, tif, bool(post))
            book.by_id[oid] = order
            book.rest(order)

    def set_counters(self, next_order_id: int, next_exec_id: int) -> None:
        """Restore the id counters."""
        if next_order_id < 1 or next_exec_id < 1:
            raise ValueError("counters start at 1")
        self._next_order_id, self._next_exec_id = next_order_id, next_exec_id

    def counters(self) -> tuple[int, int]:
        """(next_order_id, next_exec_id)."""
        return self._next_order_id, self._next_exec_id

    def live_orders(self, symbol_id: int) -> int:
        """Number of resting orders of a symbol."""
        return len(self._books[symbol_id].by_id)

    # ------------------------------------------------------------ events

    def _begin(self, seq: int, ts: int, symbol_id: int) -> None:
        self._events = []
        self._seq, self._ts, self._symbol_id = seq, ts, symbol_id

    def _emit(
        self,
        kind: EventKind,
        *,
        order_id=0,
        contra_order_id=0,
        client_order_id=0,
        exec_id=0,
        price_ticks=0,
        qty=0,
        leaves_qty=0,
        owner_id=0,
        level_orders=0,
        side=0,
        aggressor_side=0,
        reason=0,
        flags=0,
    ) -> None:
        self._events.append(
            (
                self._seq,
                self._ts,
                order_id,
                contra_order_id,
                client_order_id,
                exec_id,
                price_ticks,
                qty,
                leaves_qty,
                owner_id,
                self._symbol_id,
                level_orders,
                int(kind),
                side,
                aggressor_side,
                int(reason),
                int(flags),
            )
        )

    def _emit_order(self, kind: EventKind, o: _Order, **fields) -> None:
        base = dict(
            order_id=o.order_id,
            client_order_id=o.client_order_id,
            owner_id=o.owner_id,
            side=o.side,
            price_ticks=o.price_ticks,
            leaves_qty=o.leaves_qty,
        )
        base.update(fields)
        self._emit(kind, **base)

    def _emit_delta(self, book: _Book, side: int, price: int) -> None:
        qty, n = book.level_qty(side, price)
        self._emit(EventKind.BOOK_DELTA, side=side, price_ticks=price, leaves_qty=qty, level_orders=n)

    def _reject(self, order_id: int, clid: int, owner: int, reason: RejectReason) -> None:
        self._emit(EventKind.REJECTED, order_id=order_id, client_order_id=clid, owner_id=owner, reason=reason)

    # ------------------------------------------------------------ commands

    def _book(self) -> _Book | None:
        if 0 <= self._symbol_id < len(self._books):
            return self._books[self._symbol_id]
        return None

    @staticmethod
    def _qty_reason(ins: Instrument, qty: int) -> RejectReason:
        if qty <= 0:
            return RejectReason.INVALID_QTY
        if qty % ins.lot_size:
            return RejectReason.OFF_LOT
        if qty > ins.max_order_qty:
            return RejectReason.QTY_TOO_LARGE
        return RejectReason.NONE

    @staticmethod
    def _price_reason(ins: Instrument, px: int) -> RejectReason:
        if not ins.band_low_ticks <= px <= ins.band_high_ticks:
            return RejectReason.OUT_OF_BAND
        if px % ins.price_step_ticks:
            return RejectReason.OFF_TICK
        return RejectReason.NONE

    @staticmethod
    def _would_cross(book: _Book, side: int, px: int) -> bool:
        if side > 0:
            return book.best_ask() is not None and px >= book.best_ask()
        return book.best_bid() is not None and px <= book.best_bid()

    def _clid_taken(self, book: _Book, owner: int, clid: int, other_than: _Order | None = None) -> bool:
        return any(
            o.owner_id == owner and o.client_order_id == clid and o is not other_than
            for o in book.by_id.values()
        )

    def _new(self, side, otype, tif, post, px, qty, owner, clid) -> None:
        book = self._book()
        if book is None:
            return self._reject(0, clid, owner, RejectReason.UNKNOWN_SYMBOL)
        ins = book.instrument
        is_market = otype == OrderType.MARKET
        reason = RejectReason.NONE
        if side not in (1, -1):
            reason = RejectReason.INVALID_SIDE
        elif otype not in (OrderType.LIMIT, OrderType.MARKET) or (is_market and post):
            reason = RejectReason.INVALID_ORDER_TYPE
        elif tif not in (1, 2, 3, 4):
            reason = RejectReason.INVALID_TIF
        elif (r := self._qty_reason(ins, qty)) != RejectReason.NONE:
            reason = r
        elif not is_market and (r := self._price_reason(ins, px)) != RejectReason.NONE:
            reason = r
        elif clid != 0 and self._clid_taken(book, owner, clid):
            reason = RejectReason.DUPLICATE_CLIENT_ORDER_ID
        elif post and self._would_cross(book, side, px):
            reason = RejectReason.POST_ONLY_WOULD_CROSS
        if reason != RejectReason.NONE:
            return self._reject(0, clid, owner, reason)

        order = _Order(
            self._next_order_id, clid, owner, side, 0 if is_market else px, qty, tif, post, is_market
        )
        self._next_order_id += 1
        book.by_id[order.order_id] = order
        self._emit_order(EventKind.ACCEPTED, order, qty=qty, flags=EventFlag.POST_ONLY if post else 0)
        if tif == TimeInForce.FOK and not self._fok_fillable(book, order):
            self._emit_order(
                EventKind.EXPIRED, order, qty=qty, leaves_qty=0, reason=RejectReason.NO_LIQUIDITY
            )
            del book.by_id[order.order_id]
            return None
        self._match_and_finish(book, order)
        return None

    def _fok_fillable(self, book: _Book, order: _Order) -> bool:
        need = order.leaves_qty
        for r in book.crossable(order):
            if self._stp_hits(order, r):
                if self.stp_mode == StpMode.CANCEL_RESTING:
                    continue
                return False
            need -= r.leaves_qty
            if need <= 0:
                return True
        return False

    def _stp_hits(self, aggressor: _Order, resting: _Order) -> bool:
        return (
            self.stp_mode != StpMode.NONE
            and aggressor.owner_id != 0
            and resting.owner_id == aggressor.owner_id
        )

    def _match_and_finish(self, book: _Book, order: _Order) -> None:
        ended = self._match(book, order)
        if ended or order.leaves_qty == 0:
            del book.by_id[order.order_id]
        elif not order.is_market and order.tif in _RESTING_TIFS:
            book.rest(order)
            self._emit_delta(book, order.side, order.price_ticks)
        else:
            self._emit_order(
                EventKind.EXPIRED, order, qty=order.leaves_qty, leaves_qty=0, reason=RejectReason.NO_LIQUIDITY
            )
            del book.by_id[order.order_id]

    def _remove_resting(self, book: _Book, r: _Order) -> None:
        book.unlink(r)
        del book.by_id[r.order_id]

    def _match(self, book: _Book, order: _Order) -> bool:
        """Match ``order`` as aggressor; True when self-trade prevention ended it."""
        while order.leaves_qty > 0:
            candidates = book.crossable(order)
            if not candidates:
                return False
            r = candidates[0]
            px = r.price_ticks
            if self._stp_hits(order, r):
                if self.stp_mode == StpMode.CANCEL_RESTING:
                    self._emit_order(
                        EventKind.CANCELED, r, qty=r.leaves_qty, leaves_qty=0, reason=RejectReason.SELF_TRADE
                    )
                    self._remove_resting(book, r)
                    self._emit_delta(book, r.side, px)
                    continue
                if self.stp_mode == StpMode.CANCEL_INCOMING:
                    self._emit_order(
                        EventKind.CANCELED,
                        order,
                        qty=order.leaves_qty,
                        leaves_qty=0,
                        reason=RejectReason.SELF_TRADE,
                    )
                    order.leaves_qty = 0
                    return True
                d = min(r.leaves_qty, order.leaves_qty)
                r.leaves_qty -= d
                self._emit_order(EventKind.CANCELED, r, qty=d, reason=RejectReason.SELF_TRADE)
                if r.leaves_qty == 0:
                    self._remove_resting(book, r)
                self._emit_delta(book, r.side, px)
                order.leaves_qty -= d
                self._emit_order(EventKind.CANCELED, order, qty=d, reason=RejectReason.SELF_TRADE)
                if order.leaves_qty == 0:
                    return True
                continue
            f = min(r.leaves_qty, order.leaves_qty)
            exec_id = self._next_exec_id
            self._next_exec_id += 1
            r.leaves_qty -= f
            order.leaves_qty -= f
            self._emit_order(
                EventKind.FILLED,
                r,
                contra_order_id=order.order_id,
                exec_id=exec_id,
                qty=f,
                aggressor_side=order.side,
            )
            self._emit_order(
                EventKind.FILLED,
                order,
                contra_order_id=r.order_id,
                exec_id=exec_id,
                price_ticks=px,
                qty=f,
                aggressor_side=order.side,
                flags=EventFlag.AGGRESSOR,
            )
            self._emit(
                EventKind.TRADE,
                exec_id=exec_id,
                order_id=r.order_id,
                contra_order_id=order.order_id,
                price_ticks=px,
                qty=f,
                side=order.side,
                aggressor_side=order.side,
            )
            if r.leaves_qty == 0:
                self._remove_resting(book, r)
            self._emit_delta(book, r.side, px)
        return False

    def _owned(self, order_id: int, owner: int, clid: int) -> tuple[_Book, _Order] | None:
        book = self._book()
        if book is None:
            self._reject(order_id, clid, owner, RejectReason.UNKNOWN_SYMBOL)
            return None
        order = book.by_id.get(order_id)
        if order is None or order.owner_id != owner:
            self._reject(order_id, clid, owner, RejectReason.UNKNOWN_ORDER)
            return None
        return book, order

    def _cancel(self, order_id: int, owner: int, clid: int) -> None:
        found = self._owned(order_id, owner, clid)
        if found is None:
            return
        book, o = found
        self._emit_order(EventKind.CANCELED, o, qty=o.leaves_qty, leaves_qty=0, reason=RejectReason.USER)
        self._remove_resting(book, o)
        self._emit_delta(book, o.side, o.price_ticks)

    def _replace(self, order_id: int, owner: int, clid: int, px: int, qty: int) -> None:
        found = self._owned(order_id, owner, clid)
        if found is None:
            return
        book, o = found
        ins = book.instrument
        reason = self._qty_reason(ins, qty)
        if reason == RejectReason.NONE:
            reason = self._price_reason(ins, px)
        if (
            reason == RejectReason.NONE
            and clid != 0
            and clid != o.client_order_id
            and self._clid_taken(book, owner, clid, other_than=o)
        ):
            reason = RejectReason.DUPLICATE_CLIENT_ORDER_ID
        if (
            reason == RejectReason.NONE
            and o.post_only
            and px != o.price_ticks
            and self._would_cross(book, o.side, px)
        ):
            reason = RejectReason.POST_ONLY_WOULD_CROSS
        if reason != RejectReason.NONE:
            return self._reject(order_id, clid, owner, reason)

        prev_px, prev_leaves = o.price_ticks, o.leaves_qty
        o.client_order_id = clid
        if px == prev_px and qty <= prev_leaves:
            o.leaves_qty = qty
            self._emit_order(
                EventKind.REPLACED, o, qty=prev_leaves, contra_order_id=prev_px, flags=EventFlag.PRIORITY_KEPT
            )
            if qty != prev_leaves:
                self._emit_delta(book, o.side, px)
            return None
        book.unlink(o)
        o.price_ticks, o.leaves_qty = px, qty
        self._emit_order(EventKind.REPLACED, o, qty=prev_leaves, contra_order_id=prev_px)
        self._emit_delta(book, o.side, prev_px)
        self._match_and_finish(book, o)
        return None

    def _end_session(self) -> None:
        book = self._book()
        if book is None:
            return self._reject(0, 0, 0, RejectReason.UNKNOWN_SYMBOL)
        levels = [(p, 1) for p in book.bids] + [(p, -1) for p in book.asks]
        for price, side in sorted(levels):
            expired = [o for o in book.side_levels(side)[price] if o.tif == TimeInForce.DAY]
            for o in expired:
                self._emit_order(
                    EventKind.EXPIRED, o, qty=o.leaves_qty, leaves_qty=0, reason=RejectReason.END_OF_SESSION
                )
                self._remove_resting(book, o)
            if expired:
                self._emit_delta(book, side, price)
        return None
