"""Pre-trade risk: limits, reject reasons and the checks the OMS runs before a command leaves. Hot path.

A command that fails a check never reaches the venue; the strategy receives a :class:`RiskRejected`
event with the :class:`RiskReason`. Checks run in a fixed order (kill switch, quantity, price
collar, notional, position, throttle) so the reason is deterministic when several limits break.
Cancels are never checked: they only ever reduce risk.

Units: prices in ticks, quantities in shares, notional in tick-shares (``price_ticks * qty``),
time in simulated ns.
"""

from __future__ import annotations

from collections import deque
from enum import IntEnum
from typing import Any, Mapping

import msgspec

from hftsim.core.errors import ConfigError
from hftsim.core.messages import Message

__all__ = ["RiskCheck", "RiskLimits", "RiskReason", "RiskRejected"]


class RiskReason(IntEnum):
    """Why the OMS refused a command locally. Values start at 100 so they never collide with venue
    :class:`~hftsim.core.enums.RejectReason` codes."""

    NONE = 0
    KILL_SWITCH = 101
    MAX_ORDER_QTY = 102
    MAX_NOTIONAL = 103
    POSITION_LIMIT = 104
    PRICE_COLLAR = 105
    THROTTLE = 106
    INVALID_QTY = 107  #: zero or negative quantity
    NO_REFERENCE_PRICE = 108  #: a market order under a notional limit with no mid to value it
    NOT_LIVE = 109  #: cancel or replace of an order that is not working at the venue


class RiskRejected(Message, kw_only=True):
    """The OMS refused a new order or a replace before it left (it never reached the venue).

    Attributes:
        client_order_id: the id the refused command would have carried.
        order_client_order_id: the OMS order it concerns (equal to ``client_order_id`` for a new order).
        reason: which check failed.
        is_replace: True when a replace was refused (the order itself keeps working).
    """

    client_order_id: int
    order_client_order_id: int
    reason: RiskReason
    is_replace: bool = False


class RiskLimits(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Pre-trade limits; ``None`` switches a check off.

    Attributes:
        max_order_qty: largest quantity of one order, shares.
        max_notional_ticks: largest ``price_ticks * qty`` of one order, tick-shares.
        max_position: bound on ``|position + open orders on the side|`` per symbol, shares: a buy is
            refused when position plus all open buy quantity plus the order would exceed it.
        collar_ticks: largest distance of a limit price from the reference price (the last mid).
        max_orders_per_window: most new orders plus replaces sent within any ``window_ns`` of
            simulated time (a sliding window).
        window_ns: length of the throttle window.
    """

    max_order_qty: int | None = None
    max_notional_ticks: int | None = None
    max_position: int | None = None
    collar_ticks: int | None = None
    max_orders_per_window: int | None = None
    window_ns: int = 1_000_000_000

    def __post_init__(self) -> None:
        for name in ("max_order_qty", "max_notional_ticks", "max_orders_per_window", "window_ns"):
            value = getattr(self, name)
            if value is not None and value < 1:
                raise ConfigError(f"risk.{name} must be >= 1, found {name}={value!r}")
        for name in ("max_position", "collar_ticks"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ConfigError(f"risk.{name} must be >= 0, found {name}={value!r}")

    @classmethod
    def from_config(cls, config: "RiskLimits | Mapping[str, Any] | None") -> "RiskLimits":
        """Build limits from a mapping (a TOML table), limits, or None (no limits).

        Raises:
            ConfigError: an unknown key or a value of the wrong type or range, named.
        """
        if config is None:
            return cls()
        if isinstance(config, cls):
            return config
        try:
            return msgspec.convert(dict(config), cls)
        except msgspec.ValidationError as e:
            raise ConfigError(f"risk: {e}") from e


class RiskCheck:
    """Runs the limits against one OMS's state; owns the throttle window and the kill switch."""

    __slots__ = (
        "limits",
        "is_killed",
        "_sent_ns",
        "_max_qty",
        "_max_notional",
        "_max_position",
        "_collar",
        "_max_rate",
        "_window_ns",
    )

    def __init__(self, limits: RiskLimits) -> None:
        self.limits = limits
        self.is_killed = False
        self._sent_ns: deque[int] = deque()
        self._max_qty = limits.max_order_qty
        self._max_notional = limits.max_notional_ticks
        self._max_position = limits.max_position
        self._collar = limits.collar_ticks
        self._max_rate = limits.max_orders_per_window
        self._window_ns = limits.window_ns

    def check(
        self,
        now_ns: int,
        side: int,
        price_ticks: int,
        qty: int,
        is_market: bool,
        reference_ticks: float | None,
        position: int,
        open_same_side: int,
    ) -> RiskReason:
        """Return ``RiskReason.NONE`` when an order (or the new version of a replaced one) may go.

        Args:
            now_ns: simulated time.
            side: +1 buy, -1 sell.
            price_ticks: limit price (ignored for a market order).
            qty: quantity to add to the book (for a replace: the new open quantity).
            is_market: a market order (no price).
            reference_ticks: the reference price for the collar and market notional (last mid).
            position: current signed position in the symbol.
            open_same_side: open quantity already working on this side, excluding this order.
        """
        if self.is_killed:
            return RiskReason.KILL_SWITCH
        if qty <= 0:
            return RiskReason.INVALID_QTY
        if self._max_qty is not None and qty > self._max_qty:
            return RiskReason.MAX_ORDER_QTY
        if (
            self._collar is not None
            and not is_market
            and reference_ticks is not None
            and abs(price_ticks - reference_ticks) > self._collar
        ):
            return RiskReason.PRICE_COLLAR
        if self._max_notional is not None:
            if is_market:
                if reference_ticks is None:
                    return RiskReason.NO_REFERENCE_PRICE
                price_ticks = reference_ticks
            if price_ticks * qty > self._max_notional:
                return RiskReason.MAX_NOTIONAL
        if self._max_position is not None:
            worst = abs(position + side * (open_same_side + qty))
            # an order that only brings an (already breached) position back toward zero may go
            if worst > self._max_position and worst > abs(position):
                return RiskReason.POSITION_LIMIT
        if self._max_rate is not None:
            sent = self._sent_ns
            horizon = now_ns - self._window_ns
            while sent and sent[0] <= horizon:
                sent.popleft()
            if len(sent) >= self._max_rate:
                return RiskReason.THROTTLE
        return RiskReason.NONE

    def record_sent(self, now_ns: int) -> None:
        """Count a new order or replace that passed, for the throttle."""
        if self._max_rate is not None:
            self._sent_ns.append(now_ns)

    def reset_window(self) -> None:
        """Forget the throttle history (a new run)."""
        self._sent_ns.clear()
