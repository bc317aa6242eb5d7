"""The order management system of one agent: orders, risk, positions and PnL. Hot path.

The OMS is the only way a strategy trades. It numbers client order ids from its own counter, runs
the pre-trade risk checks (:mod:`hftsim.trading.oms.risk`), sends the command through the agent's
context, and books every venue event of the agent's orders: state transitions
(:mod:`hftsim.trading.oms.state`, impossible ones raise InvariantError), open quantity, and fills into
the ledger (:mod:`hftsim.trading.oms.ledger`).

Correlation: a new order is known by the client order id the OMS gave it (the OMS key, kept for the
order's life); the venue's ``order_id`` arrives with ``OrderAccepted`` and keys fills, cancels,
replaces and expiries. Cancel and replace requests get their own client order ids so that a venue
reject of the request finds its order.
"""

from __future__ import annotations

from typing import Any, Callable

import numpy as np

from hftsim.core.enums import OrderType, TimeInForce
from hftsim.core.errors import InvariantError
from hftsim.core.messages import (
    CancelOrder,
    Event,
    NewOrder,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    ReplaceOrder,
)
from hftsim.trading.oms.ledger import (
    FILL_DTYPE,
    MARK_DTYPE,
    FeeSchedule,
    Holding,
    PnlSnapshot,
    total_snapshot,
)
from hftsim.trading.oms.order import OmsOrder
from hftsim.trading.oms.risk import RiskCheck, RiskLimits, RiskReason, RiskRejected
from hftsim.trading.oms.state import (
    LIVE_STATES,
    OPEN_STATES,
    OrderState,
    Trigger,
    legal_transitions,
    next_state,
)

__all__ = ["Oms"]

_CANCEL, _REPLACE = 1, 2
_TRANSITIONS = legal_transitions()
_MISSING = object()
_CANCELABLE = LIVE_STATES | {OrderState.PENDING_REPLACE}


class Oms:
    """Order management for one agent: submit, cancel, replace, risk, positions, PnL.

    Args:
        name: the owner's name (reports).
        risk: pre-trade limits (a :class:`RiskLimits`, a TOML-style mapping, or None for none).
        fees: the fee schedule (a :class:`FeeSchedule`, a mapping, or None for no fees).
        on_local_reject: called with ``(order, RiskRejected)`` when a check refuses a command.
        is_recording: keep fills and marks for reports.
    """

    def __init__(
        self,
        name: str = "oms",
        *,
        risk: Any = None,
        fees: Any = None,
        on_local_reject: Callable[[OmsOrder, RiskRejected], None] | None = None,
        is_recording: bool = True,
    ) -> None:
        self.name = name
        self.owner_id = 0
        self.risk = RiskCheck(RiskLimits.from_config(risk))
        self.fees = FeeSchedule.from_config(fees)
        self.on_local_reject = on_local_reject
        self.is_recording = is_recording
        self._ctx: Any = None
        self._next_id = 1
        self._orders: dict[int, OmsOrder] = {}
        self._open: dict[int, OmsOrder] = {}
        self._by_order_id: dict[int, OmsOrder] = {}
        self._requests: dict[int, tuple[OmsOrder, int]] = {}
        self._holdings: dict[int, Holding] = {}
        self._open_qty: dict[int, list[int]] = {}  # symbol -> [_, buy, sell] indexed by side
        self._mids: dict[int, float | None] = {}
        self._fills: list[tuple] = []
        self._marks: list[tuple] = []
        self.venue_reject_count = 0
        self.local_reject_count = 0
        self._handlers = {
            OrderAccepted: self._on_accepted,
            OrderRejected: self._on_rejected,
            OrderFilled: self._on_filled,
            OrderCanceled: self._on_canceled,
            OrderReplaced: self._on_replaced,
            OrderExpired: self._on_expired,
        }

    # ------------------------------------------------------------------ wiring

    def bind(self, ctx: Any) -> None:
        """Attach the agent context the OMS sends through and reads time from."""
        self._ctx = ctx
        self.owner_id = ctx.owner_id

    def update_mid(self, symbol_id: int, mid_ticks: float | None) -> None:
        """Set the reference price (collar, market notional) and mark of a symbol."""
        self._mids[symbol_id] = mid_ticks

    def mid(self, symbol_id: int) -> float | None:
        """The last reference mid of a symbol (asked from the context's L1 if never updated)."""
        try:
            return self._mids[symbol_id]
        except KeyError:
            return self._ctx.l1(symbol_id).mid_ticks if self._ctx is not None else None

    # ------------------------------------------------------------------ commands

    def submit(
        self,
        side: int,
        price_ticks: int,
        qty: int,
        *,
        symbol_id: int = 0,
        order_type: int = OrderType.LIMIT,
        tif: int = TimeInForce.GTC,
        post_only: bool = False,
    ) -> OmsOrder:
        """Check and send a new order; return it (state PENDING_NEW, or REJECTED when a check failed).

        Args:
            side: ``Side.BUY`` or ``Side.SELL``.
            price_ticks: limit price (ignored for market orders).
            qty: shares.
            symbol_id: the symbol.
            order_type: LIMIT or MARKET.
            tif: time in force.
            post_only: refuse to take liquidity.
        """
        now = self._ctx.now_ns()
        cid = self._next_id
        self._next_id = cid + 1
        order = OmsOrder(cid, symbol_id, int(side), price_ticks, qty, order_type, tif, post_only, now)
        self._orders[cid] = order
        is_market = order_type == OrderType.MARKET
        open_qty = self._open_qty_of(symbol_id)
        holding = self._holdings.get(symbol_id)
        reason = self.risk.check(
            now,
            order.side,
            price_ticks,
            qty,
            is_market,
            self.mid(symbol_id),
            holding.position if holding is not None else 0,
            open_qty[order.side],
        )
        if reason:
            order.reject_reason = reason
            self._transition(order, Trigger.LOCAL_REJECT)
            self._reject_locally(order, cid, reason, False, now)
            return order
        self.risk.record_sent(now)
        self._open[cid] = order
        self._set_exposure(order, qty)
        self._ctx.send(
            NewOrder(
                ts_event=now,
                symbol_id=symbol_id,
                client_order_id=cid,
                side=order.side,
                qty=qty,
                price_ticks=price_ticks,
                order_type=order_type,
                tif=tif,
                post_only=post_only,
            )
        )
        return order

    def cancel(self, client_order_id: int) -> bool:
        """Ask the venue to cancel an order; return True when a cancel is (or will be) on its way.

        An order not yet accepted is canceled as soon as its accept arrives. Cancels are never
        risk-checked.
        """
        order = self._orders.get(client_order_id)
        if order is None:
            return False
        state = order.state
        if state is OrderState.PENDING_CANCEL:
            return True
        if state is OrderState.PENDING_NEW:
            order.is_cancel_on_ack = True
            return True
        if state not in _CANCELABLE:
            return False
        now = self._ctx.now_ns()
        rid = self._next_id
        self._next_id = rid + 1
        self._requests[rid] = (order, _CANCEL)
        order.cancel_request_id = rid
        self._transition(order, Trigger.CANCEL_REQUEST, now)
        self._ctx.send(
            CancelOrder(ts_event=now, symbol_id=order.symbol_id, order_id=order.order_id, client_order_id=rid)
        )
        return True

    def replace(self, client_order_id: int, price_ticks: int, qty: int) -> bool:
        """Check and send a replace to ``price_ticks`` with ``qty`` open; True when it was sent.

        Only a live order (no request pending) can be replaced. A refused replace leaves the order
        working unchanged and calls ``on_local_reject``.
        """
        order = self._open.get(client_order_id)
        if order is None or order.state not in LIVE_STATES:
            return False
        now = self._ctx.now_ns()
        symbol_id = order.symbol_id
        side = order.side
        rid = self._next_id
        self._next_id = rid + 1
        if qty <= order.leaves_qty:
            position, others = 0, 0  # a smaller order never adds exposure
        else:
            holding = self._holdings.get(symbol_id)
            position = holding.position if holding is not None else 0
            others = self._open_qty_of(symbol_id)[side] - order.exposure_qty
        reason = self.risk.check(now, side, price_ticks, qty, False, self.mid(symbol_id), position, others)
        if reason:
            self._reject_locally(order, rid, reason, True, now)
            return False
        self.risk.record_sent(now)
        self._requests[rid] = (order, _REPLACE)
        order.replace_request_id = rid
        order.pending_price_ticks = price_ticks
        order.pending_qty = qty
        self._transition(order, Trigger.REPLACE_REQUEST, now)
        self._set_exposure(order, max(order.leaves_qty, qty))
        self._ctx.send(
            ReplaceOrder(
                ts_event=now,
                symbol_id=symbol_id,
                order_id=order.order_id,
                client_order_id=rid,
                price_ticks=price_ticks,
                qty=qty,
            )
        )
        return True

    def cancel_all(self, symbol_id: int | None = None) -> int:
        """Cancel every open order (of one symbol); return how many cancels were requested."""
        count = 0
        for order in list(self._open.values()):
            if symbol_id is None or order.symbol_id == symbol_id:
                count += self.cancel(order.client_order_id)
        return count

    def kill(self) -> int:
        """Engage the kill switch: refuse every new order and replace, cancel all open orders."""
        self.risk.is_killed = True
        return self.cancel_all()

    @property
    def is_killed(self) -> bool:
        """True once the kill switch is engaged."""
        return self.risk.is_killed

    # ------------------------------------------------------------------ venue events

    def on_event(self, event: Event) -> OmsOrder:
        """Book one venue event of this agent's orders and return the order it concerns.

        Raises:
            InvariantError: the event is for an unknown order or is an impossible transition.
        """
        try:
            handler = self._handlers[type(event)]
        except KeyError:
            raise InvariantError(f"OMS {self.name}: not an order event: {type(event).__name__}") from None
        return handler(event)

    def _on_accepted(self, e: OrderAccepted) -> OmsOrder:
        order = self._orders.get(e.client_order_id)
        if order is None:
            raise InvariantError(f"OMS {self.name}: accept for unknown client order id {e.client_order_id}")
        self._transition(order, Trigger.ACCEPT, e.ts_event)
        order.order_id = e.order_id
        order.leaves_qty = e.leaves_qty
        self._by_order_id[e.order_id] = order
        if order.is_cancel_on_ack:
            order.is_cancel_on_ack = False
            self.cancel(order.client_order_id)
        return order

    def _on_rejected(self, e: OrderRejected) -> OmsOrder:
        cid = e.client_order_id
        order = self._orders.get(cid)
        self.venue_reject_count += 1
        if order is not None:
            order.reject_reason = int(e.reason)
            self._transition(order, Trigger.REJECT, e.ts_event)
            self._close(order)
            return order
        request = self._requests.pop(cid, None)
        if request is None:
            raise InvariantError(f"OMS {self.name}: reject for unknown client order id {cid}")
        order, kind = request
        if kind == _CANCEL:
            order.cancel_request_id = 0
            self._transition(order, Trigger.CANCEL_REJECT, e.ts_event)
        else:
            order.replace_request_id = 0
            self._transition(order, Trigger.REPLACE_REJECT, e.ts_event)
            if order.state in OPEN_STATES:
                self._set_exposure(order, order.leaves_qty)
        return order

    def _on_filled(self, e: OrderFilled) -> OmsOrder:
        order = self._known(e.order_id)
        qty, price = e.qty, e.price_ticks
        self._transition(order, Trigger.FILL if e.leaves_qty else Trigger.FILL_FULL, e.ts_event)
        order.filled_qty += qty
        order.filled_notional_ticks += qty * price
        order.leaves_qty = e.leaves_qty
        if order.state is OrderState.FILLED:
            self._close(order)
        else:
            self._set_exposure(order, max(e.leaves_qty, order.pending_qty if order.replace_request_id else 0))
        fee = qty * (self.fees.taker_fee_units if e.is_aggressor else self.fees.maker_fee_units)
        holding = self.holding(order.symbol_id)
        holding.apply_fill(order.side, price, qty, fee)
        if self.is_recording:
            self._fills.append(
                (
                    e.ts_event,
                    order.symbol_id,
                    order.side,
                    e.is_aggressor,
                    price,
                    qty,
                    fee,
                    holding.position,
                    holding.cash_units,
                    holding.realized_ticks,
                    order.client_order_id,
                    e.exec_id,
                )
            )
        return order

    def _on_canceled(self, e: OrderCanceled) -> OmsOrder:
        order = self._known(e.order_id)
        order.leaves_qty = e.leaves_qty
        if e.leaves_qty:
            self._transition(order, Trigger.REDUCED, e.ts_event)
            self._set_exposure(order, max(e.leaves_qty, order.pending_qty if order.replace_request_id else 0))
            return order
        self._transition(order, Trigger.CANCELED, e.ts_event)
        if order.cancel_request_id:
            self._requests.pop(order.cancel_request_id, None)
            order.cancel_request_id = 0
        self._close(order)
        return order

    def _on_replaced(self, e: OrderReplaced) -> OmsOrder:
        order = self._known(e.order_id)
        self._transition(order, Trigger.REPLACED, e.ts_event)
        self._requests.pop(e.client_order_id, None)
        order.replace_request_id = 0
        order.pending_qty = 0
        order.price_ticks = e.price_ticks
        order.leaves_qty = e.leaves_qty
        order.qty = order.filled_qty + e.leaves_qty
        self._set_exposure(order, e.leaves_qty)
        return order

    def _on_expired(self, e: OrderExpired) -> OmsOrder:
        order = self._known(e.order_id)
        self._transition(order, Trigger.EXPIRE, e.ts_event)
        order.leaves_qty = 0
        self._close(order)
        return order

    # ------------------------------------------------------------------ state helpers

    def _known(self, order_id: int) -> OmsOrder:
        try:
            return self._by_order_id[order_id]
        except KeyError:
            raise InvariantError(f"OMS {self.name}: event for unknown venue order id {order_id}") from None

    def _transition(self, order: OmsOrder, trigger: Trigger, ts_ns: int | None = None) -> None:
        state = _TRANSITIONS.get((order.state, trigger), _MISSING)
        if state is None:
            state = order.resume_state
        elif state is _MISSING:
            next_state(order.state, trigger, order.resume_state)  # raises InvariantError, naming both
        if state in LIVE_STATES:
            order.resume_state = state
        elif trigger is Trigger.FILL:  # a fill while a request is pending: resume partially filled
            order.resume_state = OrderState.PARTIALLY_FILLED
        order.state = state
        if ts_ns is not None:
            order.updated_ns = ts_ns

    def _close(self, order: OmsOrder) -> None:
        self._set_exposure(order, 0)
        self._open.pop(order.client_order_id, None)

    def _set_exposure(self, order: OmsOrder, qty: int) -> None:
        self._open_qty_of(order.symbol_id)[order.side] += qty - order.exposure_qty
        order.exposure_qty = qty

    def _open_qty_of(self, symbol_id: int) -> list[int]:
        try:
            return self._open_qty[symbol_id]
        except KeyError:
            self._open_qty[symbol_id] = row = [0, 0, 0]
            return row

    def _reject_locally(
        self, order: OmsOrder, cid: int, reason: RiskReason, is_replace: bool, now: int
    ) -> None:
        self.local_reject_count += 1
        if self.on_local_reject is not None:
            self.on_local_reject(
                order,
                RiskRejected(
                    ts_event=now,
                    symbol_id=order.symbol_id,
                    client_order_id=cid,
                    order_client_order_id=order.client_order_id,
                    reason=reason,
                    is_replace=is_replace,
                ),
            )

    # ------------------------------------------------------------------ queries

    def order(self, client_order_id: int) -> OmsOrder | None:
        """The order with this OMS client order id, or None."""
        return self._orders.get(client_order_id)

    def orders(self) -> list[OmsOrder]:
        """Every order this OMS created, in submission order."""
        return list(self._orders.values())

    def open_orders(self, symbol_id: int | None = None) -> list[OmsOrder]:
        """Orders still open (pending new, live, pending cancel or replace), in submission order."""
        if symbol_id is None:
            return list(self._open.values())
        return [o for o in self._open.values() if o.symbol_id == symbol_id]

    def open_qty(self, symbol_id: int, side: int) -> int:
        """Open quantity on one side of a symbol, as counted by the position check."""
        return self._open_qty_of(symbol_id)[side]

    def owns_order_id(self, order_id: int) -> bool:
        """True when the venue order id is one of this OMS's orders."""
        return order_id in self._by_order_id

    def holding(self, symbol_id: int) -> Holding:
        """The ledger of one symbol (created empty on first use)."""
        try:
            return self._holdings[symbol_id]
        except KeyError:
            self._holdings[symbol_id] = holding = Holding(symbol_id)
            return holding

    def position(self, symbol_id: int = 0) -> int:
        """Signed position in shares."""
        holding = self._holdings.get(symbol_id)
        return holding.position if holding is not None else 0

    def symbols(self) -> list[int]:
        """Symbols with a ledger, sorted."""
        return sorted(self._holdings)

    def pnl(self, symbol_id: int, mid_ticks: float | None = None) -> PnlSnapshot:
        """PnL of one symbol marked to ``mid_ticks`` (default: the last reference mid)."""
        mark = self.mid(symbol_id) if mid_ticks is None else mid_ticks
        return self.holding(symbol_id).snapshot(mark)

    def total_pnl(self, marks: dict[int, float | None] | None = None) -> PnlSnapshot:
        """PnL summed over symbols, each marked to ``marks[symbol]`` (default: the last mids)."""
        marks = marks or {}
        return total_snapshot([self.pnl(s, marks.get(s)) for s in self.symbols()])

    # ------------------------------------------------------------------ recording

    def record_mark(self, ts_ns: int, symbol_id: int, mid_ticks: float | None = None) -> None:
        """Append a mark-to-mid sample of one symbol to the time series."""
        if not self.is_recording:
            return
        mark = self.mid(symbol_id) if mid_ticks is None else mid_ticks
        snap = self.holding(symbol_id).snapshot(mark)
        self._marks.append(
            (
                ts_ns,
                symbol_id,
                np.nan if mark is None else mark,
                snap.position,
                snap.cash_units,
                snap.fees_units,
                snap.realized_ticks,
                snap.unrealized_ticks,
                snap.total_pnl_ticks,
            )
        )

    def fills_array(self) -> np.ndarray:
        """Every booked fill as :data:`FILL_DTYPE` records, in booking order."""
        return _records(self._fills, FILL_DTYPE)

    def marks_array(self) -> np.ndarray:
        """Every mark sample as :data:`MARK_DTYPE` records, in time order."""
        return _records(self._marks, MARK_DTYPE)


def _records(rows: list[tuple], dtype: np.dtype) -> np.ndarray:
    out = np.zeros(len(rows), dtype=dtype)
    if rows:
        out[:] = rows
    return out
