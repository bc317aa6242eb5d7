"""Positions, cash, fees and PnL of one OMS: integer money, float marks. Hot path (fills).

Units (money decisions stay in integers):

* prices in ticks, quantities in shares, so traded value is in **tick-shares**;
* fees and cash in **fee units**: ``1 fee unit = 1e-4 tick-share`` (:data:`UNITS_PER_TICK` = 10,000),
  so a fee of 0.3 ticks per share is ``3_000`` fee units per share and a fill's cash is exact;
* :class:`FeeSchedule` rates are fee units per share; a negative rate is a rebate.

Realized PnL is gross of fees and computed first-in first-out over open lots, in integer tick-shares.
Unrealized PnL marks the open lots to a mid price (a float: marks are analytics, not decisions).
For every symbol, at any mark ``m``::

    cash_units / UNITS_PER_TICK + position * m
        == realized_ticks + unrealized_ticks(m) - fees_units / UNITS_PER_TICK
"""

from __future__ import annotations

from collections import deque
from typing import Any, Mapping

import msgspec
import numpy as np

from hftsim.core.errors import ConfigError

__all__ = ["FILL_DTYPE", "MARK_DTYPE", "UNITS_PER_TICK", "FeeSchedule", "Holding", "PnlSnapshot"]

UNITS_PER_TICK = 10_000

#: One fill as the OMS booked it (all money in integers).
FILL_DTYPE = np.dtype(
    [
        ("ts_event", "<i8"),
        ("symbol_id", "<i4"),
        ("side", "i1"),
        ("is_aggressor", "u1"),
        ("price_ticks", "<i8"),
        ("qty", "<i8"),
        ("fee_units", "<i8"),
        ("position", "<i8"),
        ("cash_units", "<i8"),
        ("realized_ticks", "<i8"),
        ("client_order_id", "<i8"),
        ("exec_id", "<i8"),
    ]
)

#: One mark-to-mid sample of one symbol.
MARK_DTYPE = np.dtype(
    [
        ("ts_event", "<i8"),
        ("symbol_id", "<i4"),
        ("mid_ticks", "<f8"),
        ("position", "<i8"),
        ("cash_units", "<i8"),
        ("fees_units", "<i8"),
        ("realized_ticks", "<i8"),
        ("unrealized_ticks", "<f8"),
        ("total_pnl_ticks", "<f8"),
    ]
)


class FeeSchedule(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Per-share fees in fee units (1e-4 tick-share); negative means a rebate.

    Attributes:
        maker_fee_units: charged per share when a resting order is filled (e.g. ``-2_000``: a rebate
            of 0.2 ticks per share).
        taker_fee_units: charged per share when an aggressing order is filled (e.g. ``3_000``).
    """

    maker_fee_units: int = 0
    taker_fee_units: int = 0

    @classmethod
    def from_config(cls, config: "FeeSchedule | Mapping[str, Any] | None") -> "FeeSchedule":
        """Build a schedule from a mapping (a TOML table), a schedule, or None (no fees).

        Raises:
            ConfigError: an unknown key or a non-integer rate, named.
        """
        if config is None:
            return cls()
        if isinstance(config, cls):
            return config
        try:
            return msgspec.convert(dict(config), cls)
        except msgspec.ValidationError as e:
            raise ConfigError(f"fees: {e}") from e


class PnlSnapshot(msgspec.Struct, frozen=True, kw_only=True):
    """PnL of one symbol (or a total) at a mark.

    Attributes:
        position: signed shares.
        cash_units: cash in fee units (fees included).
        fees_units: fees paid (negative: net rebates), fee units.
        realized_ticks: FIFO realized PnL, gross of fees, tick-shares.
        unrealized_ticks: open lots marked to mid, tick-shares.
        total_pnl_ticks: ``realized + unrealized - fees``, tick-shares.
    """

    position: int
    cash_units: int
    fees_units: int
    realized_ticks: int
    unrealized_ticks: float
    total_pnl_ticks: float


class Holding:
    """Position, cash, fees and FIFO lots of one symbol."""

    __slots__ = (
        "symbol_id",
        "position",
        "cash_units",
        "fees_units",
        "realized_ticks",
        "open_cost_ticks",
        "bought_qty",
        "sold_qty",
        "fill_count",
        "_lots",
    )

    def __init__(self, symbol_id: int) -> None:
        self.symbol_id = symbol_id
        self.position = 0
        self.cash_units = 0
        self.fees_units = 0
        self.realized_ticks = 0
        self.open_cost_ticks = 0  #: sum of qty * price over open lots (unsigned)
        self.bought_qty = 0
        self.sold_qty = 0
        self.fill_count = 0
        self._lots: deque[list[int]] = deque()  # [qty, price_ticks], oldest first

    def apply_fill(self, side: int, price_ticks: int, qty: int, fee_units: int) -> None:
        """Book a fill: position, cash, fees and FIFO realized PnL."""
        self.cash_units -= side * qty * price_ticks * UNITS_PER_TICK + fee_units
        self.fees_units += fee_units
        self.fill_count += 1
        if side > 0:
            self.bought_qty += qty
        else:
            self.sold_qty += qty
        position = self.position
        remaining = qty
        if position * side < 0:
            direction = 1 if position > 0 else -1
            lots = self._lots
            while remaining and lots:
                lot = lots[0]
                matched = lot[0] if lot[0] < remaining else remaining
                self.realized_ticks += direction * matched * (price_ticks - lot[1])
                self.open_cost_ticks -= matched * lot[1]
                lot[0] -= matched
                remaining -= matched
                if not lot[0]:
                    lots.popleft()
        if remaining:
            self._lots.append([remaining, price_ticks])
            self.open_cost_ticks += remaining * price_ticks
        self.position = position + side * qty

    def unrealized_ticks(self, mid_ticks: float | None) -> float:
        """Open lots marked to ``mid_ticks`` (0 when flat or without a mark)."""
        if not self.position or mid_ticks is None:
            return 0.0
        if self.position > 0:
            return self.position * mid_ticks - self.open_cost_ticks
        return self.open_cost_ticks + self.position * mid_ticks

    def snapshot(self, mid_ticks: float | None) -> PnlSnapshot:
        """Return the PnL of this symbol marked to ``mid_ticks``."""
        unrealized = self.unrealized_ticks(mid_ticks)
        return PnlSnapshot(
            position=self.position,
            cash_units=self.cash_units,
            fees_units=self.fees_units,
            realized_ticks=self.realized_ticks,
            unrealized_ticks=unrealized,
            total_pnl_ticks=self.realized_ticks + unrealized - self.fees_units / UNITS_PER_TICK,
        )

    def open_lots(self) -> list[tuple[int, int]]:
        """Open lots as ``(qty, price_ticks)``, oldest first."""
        return [(q, p) for q, p in self._lots]


def total_snapshot(snapshots: list[PnlSnapshot]) -> PnlSnapshot:
    """Sum per-symbol snapshots (positions of different symbols add up only as a count)."""
    return PnlSnapshot(
        position=sum(s.position for s in snapshots),
        cash_units=sum(s.cash_units for s in snapshots),
        fees_units=sum(s.fees_units for s in snapshots),
        realized_ticks=sum(s.realized_ticks for s in snapshots),
        unrealized_ticks=float(sum(s.unrealized_ticks for s in snapshots)),
        total_pnl_ticks=float(sum(s.total_pnl_ticks for s in snapshots)),
    )
