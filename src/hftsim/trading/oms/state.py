"""The order state machine of the OMS: states, triggers and the table of legal transitions. Hot path.

Every change of an order's state goes through :func:`next_state`, which looks the pair
``(state, trigger)`` up in one dict built at import time. A pair that is not in the table is an
impossible transition (a fill on a canceled order, an accept of a filled one, ...) and raises
:class:`~hftsim.core.errors.InvariantError`: the OMS and the venue disagree, so the run must stop.

::

    PENDING_NEW --accept--> NEW --fill--> PARTIALLY_FILLED --fill(leaves 0)--> FILLED
        |                    |  \\--cancel request--> PENDING_CANCEL --canceled--> CANCELED
        |                    |   \\-replace request--> PENDING_REPLACE --replaced--> REPLACED
        '--reject / local reject--> REJECTED          (cancel/replace reject: back to the live state)
    live (NEW, PARTIALLY_FILLED, REPLACED) --expire--> EXPIRED; --unsolicited cancel (STP)--> CANCELED

Races that latency makes legal are in the table: a fill while a cancel or replace is pending, a
cancel or replace reject arriving after the order already filled or left the book (the terminal
state is kept), a cancel sent while a replace is still pending.
"""

from __future__ import annotations

from enum import IntEnum

from hftsim.core.errors import InvariantError

__all__ = [
    "LIVE_STATES",
    "OPEN_STATES",
    "TERMINAL_STATES",
    "OrderState",
    "Trigger",
    "legal_transitions",
    "next_state",
]


class OrderState(IntEnum):
    """Where an order is in its life, as the OMS knows it."""

    PENDING_NEW = 1
    NEW = 2
    PARTIALLY_FILLED = 3
    FILLED = 4
    PENDING_CANCEL = 5
    CANCELED = 6
    PENDING_REPLACE = 7
    REPLACED = 8
    REJECTED = 9
    EXPIRED = 10


class Trigger(IntEnum):
    """What happened to an order: a local request or a venue event."""

    ACCEPT = 1
    REJECT = 2  #: the venue refused the new order
    LOCAL_REJECT = 3  #: the OMS risk checks refused it; it never left
    FILL = 4  #: a partial fill (leaves > 0)
    FILL_FULL = 5  #: the last fill (leaves == 0)
    CANCEL_REQUEST = 6
    CANCELED = 7  #: the order left the book without trading (leaves == 0)
    REDUCED = 8  #: part of the order was canceled by the venue (leaves > 0, e.g. STP decrement)
    CANCEL_REJECT = 9
    REPLACE_REQUEST = 10
    REPLACED = 11
    REPLACE_REJECT = 12
    EXPIRE = 13


LIVE_STATES = frozenset({OrderState.NEW, OrderState.PARTIALLY_FILLED, OrderState.REPLACED})
#: States in which the order is working (or about to be) at the venue.
OPEN_STATES = LIVE_STATES | {OrderState.PENDING_NEW, OrderState.PENDING_CANCEL, OrderState.PENDING_REPLACE}
TERMINAL_STATES = frozenset({OrderState.FILLED, OrderState.CANCELED, OrderState.REJECTED, OrderState.EXPIRED})

#: Stand-in target meaning "back to the live state the order was in before the request".
RESUME = None


def _table() -> dict[tuple[OrderState, Trigger], OrderState | None]:
    s, t = OrderState, Trigger
    table: dict[tuple[OrderState, Trigger], OrderState | None] = {
        (s.PENDING_NEW, t.ACCEPT): s.NEW,
        (s.PENDING_NEW, t.REJECT): s.REJECTED,
        (s.PENDING_NEW, t.LOCAL_REJECT): s.REJECTED,
    }
    for live in LIVE_STATES:
        table.update(
            {
                (live, t.FILL): s.PARTIALLY_FILLED,
                (live, t.FILL_FULL): s.FILLED,
                (live, t.CANCEL_REQUEST): s.PENDING_CANCEL,
                (live, t.REPLACE_REQUEST): s.PENDING_REPLACE,
                (live, t.CANCELED): s.CANCELED,
                (live, t.REDUCED): live,
                (live, t.EXPIRE): s.EXPIRED,
            }
        )
    for pending, resolved, refused in (
        (s.PENDING_CANCEL, t.CANCELED, t.CANCEL_REJECT),
        (s.PENDING_REPLACE, t.REPLACED, t.REPLACE_REJECT),
    ):
        table.update(
            {
                (pending, t.FILL): pending,
                (pending, t.FILL_FULL): s.FILLED,
                (pending, t.REDUCED): pending,
                (pending, t.EXPIRE): s.EXPIRED,
                (pending, refused): RESUME,
            }
        )
    table[(s.PENDING_CANCEL, t.CANCELED)] = s.CANCELED
    # a replace sent before the cancel is answered first; the order stays pending cancel
    table[(s.PENDING_CANCEL, t.REPLACED)] = s.PENDING_CANCEL
    table[(s.PENDING_CANCEL, t.REPLACE_REJECT)] = s.PENDING_CANCEL
    table[(s.PENDING_REPLACE, t.REPLACED)] = s.REPLACED
    table[(s.PENDING_REPLACE, t.CANCELED)] = s.CANCELED
    table[(s.PENDING_REPLACE, t.CANCEL_REQUEST)] = s.PENDING_CANCEL
    # the order filled or left the book before the venue saw the request
    for done in (s.FILLED, s.CANCELED, s.EXPIRED):
        table[(done, t.CANCEL_REJECT)] = done
        table[(done, t.REPLACE_REJECT)] = done
    return table


_TRANSITIONS = _table()
_MISSING = object()


def next_state(state: OrderState, trigger: Trigger, resume: OrderState) -> OrderState:
    """Return the state after ``trigger``; raise InvariantError when the transition is impossible.

    Args:
        state: the order's current state.
        trigger: what happened.
        resume: the live state to go back to when a cancel or replace is refused.

    Raises:
        InvariantError: ``(state, trigger)`` is not a legal transition.
    """
    target = _TRANSITIONS.get((state, trigger), _MISSING)
    if target is _MISSING:
        raise InvariantError(
            f"impossible order transition: {trigger.name} in state {state.name}; the OMS and the venue "
            "disagree about this order (check event routing and client order ids)"
        )
    return resume if target is None else target


def legal_transitions() -> dict[tuple[OrderState, Trigger], OrderState | None]:
    """Return a copy of the transition table (None means: back to the live state)."""
    return dict(_TRANSITIONS)
