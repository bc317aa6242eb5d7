"""Commands and events: the one vocabulary of simulation, venue, journal and feed. Cold path.

Immutable ``msgspec`` structs with integer ticks, shares and nanoseconds. Bulk paths use the record
layouts of :mod:`hftsim.core.arrays` instead; :func:`events_from_array` and
:func:`commands_to_array` translate between the two, field for field.
"""

from __future__ import annotations

from typing import Union

import msgspec
import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, records
from hftsim.core.enums import CommandKind, EventKind, OrderType, RejectReason, Side, TimeInForce

__all__ = [
    "BookDelta",
    "CancelOrder",
    "Command",
    "EndSession",
    "Event",
    "Message",
    "NewOrder",
    "OrderAccepted",
    "OrderCanceled",
    "OrderExpired",
    "OrderFilled",
    "OrderRejected",
    "OrderReplaced",
    "ReplaceOrder",
    "Trade",
    "command_to_record",
    "commands_to_array",
    "events_from_array",
]


class Message(msgspec.Struct, frozen=True, kw_only=True, gc=False, tag=True):
    """Base of every command and event. Immutable; integer ticks, shares and ns."""

    ts_event: int = 0
    symbol_id: int


# ---------------------------------------------------------------- commands


class NewOrder(Message, kw_only=True):
    """Ask for a new order. ``price_ticks`` is ignored for market orders."""

    client_order_id: int
    owner_id: int = 0
    side: Side
    qty: int
    price_ticks: int = 0
    order_type: OrderType = OrderType.LIMIT
    tif: TimeInForce = TimeInForce.GTC
    post_only: bool = False


class CancelOrder(Message, kw_only=True):
    """Cancel a resting order of the same owner."""

    order_id: int
    owner_id: int = 0
    client_order_id: int = 0


class ReplaceOrder(Message, kw_only=True):
    """Change the price and/or open quantity of a resting order.

    ``qty`` is the new open (leaves) quantity. A decrease at the same price keeps queue priority; a
    price change or an increase loses it.
    """

    order_id: int
    owner_id: int = 0
    client_order_id: int  # the new client order id
    price_ticks: int
    qty: int


class EndSession(Message, kw_only=True):
    """Expire every DAY order of a symbol (end of the trading session)."""


Command = Union[NewOrder, CancelOrder, ReplaceOrder, EndSession]

# ---------------------------------------------------------------- events


class OrderAccepted(Message, kw_only=True):
    """The venue took a new order and gave it ``order_id``."""

    order_id: int
    client_order_id: int
    owner_id: int
    side: Side
    price_ticks: int
    qty: int
    leaves_qty: int
    is_post_only: bool = False


class OrderRejected(Message, kw_only=True):
    """A command was refused; nothing changed."""

    client_order_id: int
    order_id: int
    owner_id: int = 0
    reason: RejectReason


class OrderFilled(Message, kw_only=True):
    """One side of an execution: ``order_id`` traded ``qty`` at ``price_ticks`` with ``contra_order_id``."""

    order_id: int
    contra_order_id: int
    client_order_id: int
    owner_id: int
    exec_id: int
    side: Side
    price_ticks: int
    qty: int
    leaves_qty: int
    aggressor_side: Side
    is_aggressor: bool


class OrderCanceled(Message, kw_only=True):
    """``qty`` of an order left the book without trading; ``leaves_qty`` remains open."""

    order_id: int
    client_order_id: int
    owner_id: int
    side: Side
    price_ticks: int
    qty: int
    leaves_qty: int
    reason: RejectReason


class OrderReplaced(Message, kw_only=True):
    """An order moved to ``price_ticks`` with ``leaves_qty`` open."""

    order_id: int
    client_order_id: int
    owner_id: int
    side: Side
    price_ticks: int
    prev_price_ticks: int
    prev_leaves_qty: int
    leaves_qty: int
    is_priority_kept: bool


class OrderExpired(Message, kw_only=True):
    """``qty`` of an order expired (IOC/market remainder, failed FOK, DAY order at session end)."""

    order_id: int
    client_order_id: int
    owner_id: int
    side: Side
    price_ticks: int
    qty: int
    reason: RejectReason


class Trade(Message, kw_only=True):
    """A public print: ``qty`` at ``price_ticks`` between a resting and an aggressing order."""

    exec_id: int
    resting_order_id: int
    aggressor_order_id: int
    price_ticks: int
    qty: int
    aggressor_side: Side


class BookDelta(Message, kw_only=True):
    """A price level changed: it now holds ``level_qty`` in ``level_orders`` orders."""

    side: Side
    price_ticks: int
    level_qty: int
    level_orders: int


Event = Union[
    OrderAccepted, OrderRejected, OrderFilled, OrderCanceled, OrderReplaced, OrderExpired, Trade, BookDelta
]

# ---------------------------------------------------------------- array <-> struct


def command_to_record(cmd: Command, seq: int = 0) -> tuple:
    """Return ``cmd`` as a tuple in :data:`COMMAND_DTYPE` field order."""
    if isinstance(cmd, NewOrder):
        return (
            seq,
            cmd.ts_event,
            0,
            cmd.client_order_id,
            cmd.price_ticks,
            cmd.qty,
            cmd.owner_id,
            cmd.symbol_id,
            CommandKind.NEW,
            cmd.side,
            cmd.order_type,
            cmd.tif,
            int(cmd.post_only),
        )
    if isinstance(cmd, CancelOrder):
        return (
            seq,
            cmd.ts_event,
            cmd.order_id,
            cmd.client_order_id,
            0,
            0,
            cmd.owner_id,
            cmd.symbol_id,
            CommandKind.CANCEL,
            0,
            0,
            0,
            0,
        )
    if isinstance(cmd, ReplaceOrder):
        return (
            seq,
            cmd.ts_event,
            cmd.order_id,
            cmd.client_order_id,
            cmd.price_ticks,
            cmd.qty,
            cmd.owner_id,
            cmd.symbol_id,
            CommandKind.REPLACE,
            0,
            0,
            0,
            0,
        )
    if isinstance(cmd, EndSession):
        return (seq, cmd.ts_event, 0, 0, 0, 0, 0, cmd.symbol_id, CommandKind.END_SESSION, 0, 0, 0, 0)
    raise TypeError(f"not a command: {type(cmd).__name__}")


def commands_to_array(commands: list[Command], first_seq: int = 1) -> np.ndarray:
    """Pack commands into a :data:`COMMAND_DTYPE` array, numbering them from ``first_seq``."""
    return records([command_to_record(c, first_seq + i) for i, c in enumerate(commands)], COMMAND_DTYPE)


def _accepted(r) -> OrderAccepted:
    return OrderAccepted(
        ts_event=r[1],
        symbol_id=r[10],
        order_id=r[2],
        client_order_id=r[4],
        owner_id=r[9],
        side=Side(r[13]),
        price_ticks=r[6],
        qty=r[7],
        leaves_qty=r[8],
        is_post_only=bool(r[16] & 4),
    )


def _rejected(r) -> OrderRejected:
    return OrderRejected(
        ts_event=r[1],
        symbol_id=r[10],
        client_order_id=r[4],
        order_id=r[2],
        owner_id=r[9],
        reason=RejectReason(r[15]),
    )


def _filled(r) -> OrderFilled:
    return OrderFilled(
        ts_event=r[1],
        symbol_id=r[10],
        order_id=r[2],
        contra_order_id=r[3],
        client_order_id=r[4],
        owner_id=r[9],
        exec_id=r[5],
        side=Side(r[13]),
        price_ticks=r[6],
        qty=r[7],
        leaves_qty=r[8],
        aggressor_side=Side(r[14]),
        is_aggressor=bool(r[16] & 1),
    )


def _canceled(r) -> OrderCanceled:
    return OrderCanceled(
        ts_event=r[1],
        symbol_id=r[10],
        order_id=r[2],
        client_order_id=r[4],
        owner_id=r[9],
        side=Side(r[13]),
        price_ticks=r[6],
        qty=r[7],
        leaves_qty=r[8],
        reason=RejectReason(r[15]),
    )


def _replaced(r) -> OrderReplaced:
    return OrderReplaced(
        ts_event=r[1],
        symbol_id=r[10],
        order_id=r[2],
        client_order_id=r[4],
        owner_id=r[9],
        side=Side(r[13]),
        price_ticks=r[6],
        prev_price_ticks=r[3],
        prev_leaves_qty=r[7],
        leaves_qty=r[8],
        is_priority_kept=bool(r[16] & 2),
    )


def _expired(r) -> OrderExpired:
    return OrderExpired(
        ts_event=r[1],
        symbol_id=r[10],
        order_id=r[2],
        client_order_id=r[4],
        owner_id=r[9],
        side=Side(r[13]),
        price_ticks=r[6],
        qty=r[7],
        reason=RejectReason(r[15]),
    )


def _trade(r) -> Trade:
    return Trade(
        ts_event=r[1],
        symbol_id=r[10],
        exec_id=r[5],
        resting_order_id=r[2],
        aggressor_order_id=r[3],
        price_ticks=r[6],
        qty=r[7],
        aggressor_side=Side(r[14]),
    )


def _book_delta(r) -> BookDelta:
    return BookDelta(
        ts_event=r[1], symbol_id=r[10], side=Side(r[13]), price_ticks=r[6], level_qty=r[8], level_orders=r[11]
    )


_FROM_RECORD = {
    EventKind.ACCEPTED: _accepted,
    EventKind.REJECTED: _rejected,
    EventKind.FILLED: _filled,
    EventKind.CANCELED: _canceled,
    EventKind.REPLACED: _replaced,
    EventKind.EXPIRED: _expired,
    EventKind.TRADE: _trade,
    EventKind.BOOK_DELTA: _book_delta,
}


def events_from_array(events: np.ndarray) -> list[Event]:
    """Turn :data:`EVENT_DTYPE` records into event structs, in order."""
    table = _FROM_RECORD
    return [table[r[12]](r) for r in events.tolist()]
