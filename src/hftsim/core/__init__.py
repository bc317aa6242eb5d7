"""Units, clocks, RNG streams, errors, commands and events. Imports nothing else of hftsim."""

from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE, L3_DTYPE, check_dtype
from hftsim.core.clock import Clock, SimClock
from hftsim.core.enums import (
    CommandKind,
    EventFlag,
    EventKind,
    OrderType,
    RejectReason,
    Side,
    StpMode,
    TimeInForce,
)
from hftsim.core.errors import (
    ConfigError,
    FeedGapError,
    FixParseError,
    HftsimError,
    InvariantError,
    JournalCorrupt,
    JournalError,
    ProtocolError,
)
from hftsim.core.instrument import Instrument
from hftsim.core.messages import (
    BookDelta,
    CancelOrder,
    Command,
    EndSession,
    Event,
    Message,
    NewOrder,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    ReplaceOrder,
    Trade,
    command_to_record,
    commands_to_array,
    events_from_array,
)
from hftsim.core.rng import rng_for

__all__ = [
    "BookDelta", "COMMAND_DTYPE", "CancelOrder", "Clock", "Command", "CommandKind", "ConfigError",
    "EVENT_DTYPE", "EndSession", "Event", "EventFlag", "EventKind", "FeedGapError", "FixParseError",
    "HftsimError", "Instrument", "InvariantError", "JournalCorrupt", "JournalError", "L3_DTYPE", "Message",
    "NewOrder", "OrderAccepted", "OrderCanceled", "OrderExpired", "OrderFilled", "OrderRejected",
    "OrderReplaced", "OrderType", "ProtocolError", "RejectReason", "ReplaceOrder", "Side", "SimClock",
    "StpMode", "TimeInForce", "Trade", "check_dtype", "command_to_record", "commands_to_array",
    "events_from_array", "rng_for",
]
