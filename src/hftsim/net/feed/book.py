"""An order book rebuilt from ITCH 5.0 messages: what a feed handler sees. Hot path.

Orders are kept by reference number in arrival order, so the orders of one price level, read in
that order, are in time priority (an Order Replace is a delete and an add at the tail). Levels are
aggregated per locate and side as ``price_e4 -> [shares, orders]``, with the best price cached.
Prices stay in Price(4) units; quantities are shares.
"""

from __future__ import annotations

from typing import Callable

from hftsim.core.errors import ProtocolError
from hftsim.net.itch import (
    AddOrder,
    AddOrderMpid,
    ItchMessage,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderReplace,
    StockDirectory,
    SystemEvent,
    TradeNonCross,
    decode,
)

__all__ = ["ItchBook"]

_BUY, _SELL = 1, -1


class _Side:
    __slots__ = ("levels", "best", "is_bid")

    def __init__(self, is_bid: bool) -> None:
        self.levels: dict[int, list[int]] = {}  # price_e4 -> [shares, orders]
        self.best = 0  # 0 when empty
        self.is_bid = is_bid

    def add(self, px: int, shares: int) -> None:
        level = self.levels.get(px)
        if level is None:
            self.levels[px] = [shares, 1]
            if not self.best or (px > self.best if self.is_bid else px < self.best):
                self.best = px
        else:
            level[0] += shares
            level[1] += 1

    def reduce(self, px: int, shares: int, is_gone: bool) -> None:
        level = self.levels[px]
        level[0] -= shares
        if is_gone:
            level[1] -= 1
            if level[1] == 0:
                del self.levels[px]
                if px == self.best:
                    levels = self.levels
                    self.best = (max(levels) if self.is_bid else min(levels)) if levels else 0


class ItchBook:
    """Rebuild every symbol's book from ITCH messages.

    Args:
        strict: raise ProtocolError for a message naming an unknown order reference (a corrupt or
            partial stream); otherwise count it in ``unknown_references`` and go on.
    """

    def __init__(self, strict: bool = False) -> None:
        self.strict = strict
        self.orders: dict[int, list[int]] = {}  # ref -> [locate, side, price_e4, shares]
        self.stocks: dict[int, str] = {}  # locate -> stock, from Stock Directory and Add Order
        self._sides: dict[int, tuple[_Side, _Side]] = {}
        self.unknown_references = 0
        self.messages_applied = 0
        self.last_system_event = ""
        self._dispatch: dict[type, Callable[[ItchMessage], None]] = {
            AddOrder: self._on_add,
            AddOrderMpid: self._on_add,
            OrderExecuted: self._on_executed,
            OrderExecutedWithPrice: self._on_executed,
            OrderCancel: self._on_cancel,
            OrderDelete: self._on_delete,
            OrderReplace: self._on_replace,
            StockDirectory: self._on_directory,
            SystemEvent: self._on_system,
            TradeNonCross: _ignore,
        }

    def clear(self) -> None:
        """Forget every order (the stock directory is kept)."""
        self.orders.clear()
        self._sides.clear()

    def apply_bytes(self, message: bytes) -> None:
        """Decode and apply one ITCH message (no length prefix)."""
        self.apply(decode(message))

    def apply(self, record: ItchMessage) -> None:
        """Apply one decoded ITCH record."""
        self._dispatch[record.__class__](record)
        self.messages_applied += 1

    # ------------------------------------------------------------ views

    def symbols(self) -> list[int]:
        """Return the locates that have a directory entry or have had orders, ascending."""
        return sorted(set(self.stocks) | set(self._sides))

    def l1(self, locate: int) -> tuple[int, int, int, int]:
        """Return (bid_px_e4, bid_shares, ask_px_e4, ask_shares); 0s on an empty side."""
        sides = self._sides.get(locate)
        if sides is None:
            return 0, 0, 0, 0
        bids, asks = sides
        bid_qty = bids.levels[bids.best][0] if bids.best else 0
        ask_qty = asks.levels[asks.best][0] if asks.best else 0
        return bids.best, bid_qty, asks.best, ask_qty

    def l2(
        self, locate: int, depth: int = 10
    ) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
        """Return the best ``depth`` levels per side as (price_e4, shares, orders), best first."""
        sides = self._sides.get(locate)
        if sides is None:
            return [], []
        bids, asks = sides
        bid_px = sorted(bids.levels, reverse=True)[:depth]
        ask_px = sorted(asks.levels)[:depth]
        return (
            [(p, *bids.levels[p]) for p in bid_px],
            [(p, *asks.levels[p]) for p in ask_px],
        )

    def l3(self, locate: int) -> list[tuple[int, int, int, int]]:
        """Return resting orders (ref, side, price_e4, shares): bids best first, then asks; FIFO per level."""
        mine = [(ref, o[1], o[2], o[3]) for ref, o in self.orders.items() if o[0] == locate]
        bids = sorted((o for o in mine if o[1] == _BUY), key=lambda o: -o[2])  # stable: keeps FIFO
        asks = sorted((o for o in mine if o[1] == _SELL), key=lambda o: o[2])
        return bids + asks

    # ------------------------------------------------------------ handlers

    def _sides_of(self, locate: int) -> tuple[_Side, _Side]:
        sides = self._sides.get(locate)
        if sides is None:
            sides = self._sides[locate] = (_Side(True), _Side(False))
        return sides

    def _unknown(self, record: ItchMessage, ref: int) -> None:
        self.unknown_references += 1
        if self.strict:
            raise ProtocolError(
                f"ITCH {type(record).__name__} names order reference {ref}, which is not on the book"
            )

    def _insert(self, locate: int, ref: int, side: int, px: int, shares: int) -> None:
        if ref in self.orders:
            raise ProtocolError(f"ITCH Add Order reuses live order reference {ref}")
        self.orders[ref] = [locate, side, px, shares]
        sides = self._sides_of(locate)
        (sides[0] if side == _BUY else sides[1]).add(px, shares)

    def _on_add(self, r: AddOrder) -> None:
        self.stocks.setdefault(r.stock_locate, r.stock)
        self._insert(
            r.stock_locate, r.order_reference_number, _BUY if r.side == "B" else _SELL, r.price_e4, r.shares
        )

    def _take(self, ref: int, shares: int | None) -> list[int] | None:
        """Remove ``shares`` (None: all) from order ``ref``; return the order, or None when unknown."""
        order = self.orders.get(ref)
        if order is None:
            return None
        locate, side, px, left = order
        taken = left if shares is None else min(shares, left)
        order[3] = left - taken
        sides = self._sides[locate]
        (sides[0] if side == _BUY else sides[1]).reduce(px, taken, order[3] == 0)
        if order[3] == 0:
            del self.orders[ref]
        return order

    def _on_executed(self, r: OrderExecuted) -> None:
        if self._take(r.order_reference_number, r.executed_shares) is None:
            self._unknown(r, r.order_reference_number)

    def _on_cancel(self, r: OrderCancel) -> None:
        if self._take(r.order_reference_number, r.cancelled_shares) is None:
            self._unknown(r, r.order_reference_number)

    def _on_delete(self, r: OrderDelete) -> None:
        if self._take(r.order_reference_number, None) is None:
            self._unknown(r, r.order_reference_number)

    def _on_replace(self, r: OrderReplace) -> None:
        old = self._take(r.original_order_reference_number, None)
        if old is None:
            self._unknown(r, r.original_order_reference_number)
            return
        self._insert(old[0], r.new_order_reference_number, old[1], r.price_e4, r.shares)

    def _on_directory(self, r: StockDirectory) -> None:
        self.stocks[r.stock_locate] = r.stock

    def _on_system(self, r: SystemEvent) -> None:
        self.last_system_event = r.event_code


def _ignore(record: ItchMessage) -> None:
    return None
