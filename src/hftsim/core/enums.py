"""Enumerations of the shared vocabulary. Cold path (values are used on the hot path as ints).

The integer values are part of the journal and batch-array formats: never renumber them.
"""

from __future__ import annotations

from enum import IntEnum

__all__ = [
    "CommandKind",
    "EventFlag",
    "EventKind",
    "OrderType",
    "RejectReason",
    "Side",
    "StpMode",
    "TimeInForce",
]


class Side(IntEnum):
    """Order side. The sign is the direction of the position change."""

    BUY = 1
    SELL = -1


class OrderType(IntEnum):
    """Order type."""

    LIMIT = 1
    MARKET = 2


class TimeInForce(IntEnum):
    """How long an order may live.

    GTC and DAY rest in the book (DAY orders expire at the end of the session); IOC fills what it can
    and expires the rest; FOK fills completely at once or expires without trading.
    """

    GTC = 1
    DAY = 2
    IOC = 3
    FOK = 4


class StpMode(IntEnum):
    """Self-trade prevention when an incoming order meets a resting order of the same owner.

    Owner id 0 is anonymous and never self-trade-protected.
    """

    NONE = 0  #: allow self trades
    CANCEL_RESTING = 1  #: cancel the resting order and keep matching
    CANCEL_INCOMING = 2  #: cancel the rest of the incoming order and stop
    DECREMENT_BOTH = 3  #: reduce both by the smaller quantity without trading


class CommandKind(IntEnum):
    """What a command asks the venue to do."""

    NEW = 1
    CANCEL = 2
    REPLACE = 3
    END_SESSION = 4  #: expire DAY orders of a symbol


class EventKind(IntEnum):
    """What happened. One value per event class in :mod:`hftsim.core.messages`."""

    ACCEPTED = 1
    REJECTED = 2
    FILLED = 3
    CANCELED = 4
    REPLACED = 5
    EXPIRED = 6
    TRADE = 7
    BOOK_DELTA = 8


class EventFlag(IntEnum):
    """Bits of an event's ``flags`` field."""

    AGGRESSOR = 1  #: on FILLED: this order took liquidity
    PRIORITY_KEPT = 2  #: on REPLACED: the order kept its queue position
    POST_ONLY = 4  #: on ACCEPTED: the order is post-only


class RejectReason(IntEnum):
    """Why a command was rejected, or (on CANCELED and EXPIRED) why an order left the book."""

    NONE = 0
    UNKNOWN_SYMBOL = 1
    OFF_TICK = 2
    OUT_OF_BAND = 3
    INVALID_QTY = 4  #: zero or negative quantity
    OFF_LOT = 5  #: quantity not a multiple of the lot size
    QTY_TOO_LARGE = 6
    UNKNOWN_ORDER = 7
    DUPLICATE_CLIENT_ORDER_ID = 8
    POST_ONLY_WOULD_CROSS = 9
    INVALID_SIDE = 10
    INVALID_ORDER_TYPE = 11
    INVALID_TIF = 12
    INVALID_COMMAND = 13
    # Reasons an order leaves the book without a fill (CANCELED / EXPIRED events):
    USER = 20  #: the owner canceled it
    SELF_TRADE = 21  #: self-trade prevention
    NO_LIQUIDITY = 22  #: IOC or market remainder, or a FOK that could not fill in full
    END_OF_SESSION = 23  #: DAY order at the end of the session
