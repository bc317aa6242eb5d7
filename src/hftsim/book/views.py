"""L1 and L2 views of a book. Cold path."""

from __future__ import annotations

import msgspec

__all__ = ["L1", "L2", "Level"]


class L1(msgspec.Struct, frozen=True, kw_only=True):
    """Top of book. Prices and quantities are 0 on an empty side."""

    symbol_id: int
    bid_px_ticks: int
    bid_qty: int
    bid_orders: int
    ask_px_ticks: int
    ask_qty: int
    ask_orders: int

    @property
    def has_bid(self) -> bool:
        return self.bid_qty > 0

    @property
    def has_ask(self) -> bool:
        return self.ask_qty > 0

    @property
    def spread_ticks(self) -> int | None:
        """Ask minus bid, or None when a side is empty."""
        return self.ask_px_ticks - self.bid_px_ticks if self.has_bid and self.has_ask else None

    @property
    def mid_ticks(self) -> float | None:
        """Mid price in ticks (a float: models only), or None when a side is empty."""
        return (self.ask_px_ticks + self.bid_px_ticks) / 2 if self.has_bid and self.has_ask else None


class Level(msgspec.Struct, frozen=True, array_like=True):
    """One aggregated price level."""

    price_ticks: int
    qty: int
    orders: int


class L2(msgspec.Struct, frozen=True, kw_only=True):
    """The best ``depth`` levels of each side, best first."""

    symbol_id: int
    bids: tuple[Level, ...]
    asks: tuple[Level, ...]
