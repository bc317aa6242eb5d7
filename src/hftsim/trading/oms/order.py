"""One order as the OMS tracks it. Hot path."""

from __future__ import annotations

from hftsim.core.enums import Side
from hftsim.trading.oms.state import LIVE_STATES, OPEN_STATES, OrderState

__all__ = ["OmsOrder"]


class OmsOrder:
    """One order as the OMS tracks it. Read it; only the OMS changes it.

    Attributes:
        client_order_id: the OMS key, given at submission and kept for the order's life.
        order_id: the venue's id (0 until accepted).
        symbol_id, side, order_type, tif, post_only: as submitted.
        price_ticks: the current limit price (changes on replace).
        qty: total quantity ordered (filled plus open; changes on replace).
        leaves_qty: open quantity at the venue.
        filled_qty: quantity filled so far; ``filled_notional_ticks`` their ``price * qty`` sum.
        state: the :class:`OrderState`.
        reject_reason: the venue ``RejectReason`` or local ``RiskReason`` of a rejected order, else 0.
        created_ns, updated_ns: simulated times of submission and of the last change.
    """

    __slots__ = (
        "client_order_id",
        "order_id",
        "symbol_id",
        "side",
        "order_type",
        "tif",
        "post_only",
        "price_ticks",
        "qty",
        "leaves_qty",
        "filled_qty",
        "filled_notional_ticks",
        "state",
        "resume_state",
        "exposure_qty",
        "cancel_request_id",
        "replace_request_id",
        "pending_price_ticks",
        "pending_qty",
        "reject_reason",
        "is_cancel_on_ack",
        "created_ns",
        "updated_ns",
    )

    def __init__(
        self,
        client_order_id: int,
        symbol_id: int,
        side: int,
        price_ticks: int,
        qty: int,
        order_type: int,
        tif: int,
        post_only: bool,
        now_ns: int,
    ) -> None:
        self.client_order_id = client_order_id
        self.order_id = 0
        self.symbol_id = symbol_id
        self.side = side
        self.order_type = order_type
        self.tif = tif
        self.post_only = post_only
        self.price_ticks = price_ticks
        self.qty = qty
        self.leaves_qty = qty
        self.filled_qty = 0
        self.filled_notional_ticks = 0
        self.state = OrderState.PENDING_NEW
        self.resume_state = OrderState.NEW
        self.exposure_qty = 0
        self.cancel_request_id = 0
        self.replace_request_id = 0
        self.pending_price_ticks = 0
        self.pending_qty = 0
        self.reject_reason = 0
        self.is_cancel_on_ack = False
        self.created_ns = now_ns
        self.updated_ns = now_ns

    @property
    def is_open(self) -> bool:
        """True while the order is (or may be) working at the venue."""
        return self.state in OPEN_STATES

    @property
    def is_live(self) -> bool:
        """True when the order works at the venue with no request pending (it may be replaced)."""
        return self.state in LIVE_STATES

    @property
    def avg_fill_ticks(self) -> float | None:
        """Average fill price in ticks, or None before the first fill."""
        return self.filled_notional_ticks / self.filled_qty if self.filled_qty else None

    def __repr__(self) -> str:
        return (
            f"OmsOrder(cid={self.client_order_id}, oid={self.order_id}, {Side(self.side).name} "
            f"{self.leaves_qty}/{self.qty}@{self.price_ticks}, {self.state.name})"
        )
