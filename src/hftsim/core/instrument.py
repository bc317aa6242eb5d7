"""Instrument definitions: symbol, tick, lot and price band. Cold path."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

import msgspec

from hftsim.core.errors import ConfigError

__all__ = ["Instrument", "MAX_BAND_WIDTH_TICKS"]

#: The engine keeps a dense price ladder over the band (about 20 bytes per tick of width).
MAX_BAND_WIDTH_TICKS = 1 << 24


class Instrument(msgspec.Struct, frozen=True, kw_only=True):
    """A tradable symbol.

    Prices are integer ticks of ``tick_size`` currency units; quantities are integer shares.

    Attributes:
        symbol: ticker, at most 8 ASCII characters (the ITCH Stock field).
        symbol_id: dense index of the symbol in its venue, from 0.
        tick_size: currency value of one tick, as a decimal string (``"0.01"``).
        lot_size: quantities must be multiples of this many shares.
        price_step_ticks: prices must be multiples of this many ticks (a coarser tick regime).
        band_low_ticks: lowest price accepted, in ticks (at least 1).
        band_high_ticks: highest price accepted, in ticks.
        max_order_qty: largest quantity of one order, in shares.
    """

    symbol: str
    symbol_id: int = 0
    tick_size: str = "0.01"
    lot_size: int = 1
    price_step_ticks: int = 1
    band_low_ticks: int = 1
    band_high_ticks: int = 1_000_000
    max_order_qty: int = 1_000_000_000

    def __post_init__(self) -> None:
        where = f"instrument {self.symbol!r}"
        if not self.symbol or len(self.symbol) > 8 or not self.symbol.isascii():
            raise ConfigError(f"{where}: symbol must be 1 to 8 ASCII characters")
        if self.symbol_id < 0:
            raise ConfigError(f"{where}: symbol_id must be >= 0, got {self.symbol_id}")
        try:
            tick = Decimal(self.tick_size)
        except InvalidOperation as e:
            raise ConfigError(f"{where}: tick_size {self.tick_size!r} is not a decimal number") from e
        if not tick > 0:
            raise ConfigError(f"{where}: tick_size must be > 0, got {self.tick_size}")
        for name in ("lot_size", "price_step_ticks", "band_low_ticks", "max_order_qty"):
            if getattr(self, name) < 1:
                raise ConfigError(f"{where}: {name} must be >= 1, got {getattr(self, name)}")
        if self.band_high_ticks < self.band_low_ticks:
            raise ConfigError(
                f"{where}: band_high_ticks ({self.band_high_ticks}) is below "
                f"band_low_ticks ({self.band_low_ticks})"
            )
        width = self.band_high_ticks - self.band_low_ticks + 1
        if width > MAX_BAND_WIDTH_TICKS:
            raise ConfigError(
                f"{where}: price band is {width} ticks wide; at most {MAX_BAND_WIDTH_TICKS} allowed"
            )

    def to_ticks(self, price: Decimal | str | float) -> int | None:
        """Return ``price`` (in currency) as ticks, or None when it is not on the tick grid."""
        ticks, rest = divmod(Decimal(str(price)), Decimal(self.tick_size))
        if rest != 0:
            return None
        return int(ticks)

    def to_price(self, ticks: int) -> Decimal:
        """Return ``ticks`` as a decimal price in currency."""
        return Decimal(ticks) * Decimal(self.tick_size)
