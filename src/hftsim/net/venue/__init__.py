"""The live venue: FIX 4.4 acceptor, gateway (FIX <-> engine), configuration and wall clock."""

from hftsim.net.venue.clock import WallClock
from hftsim.net.venue.config import (
    DashboardConfig,
    FeedConfig,
    FixConfig,
    SessionSpec,
    VenueConfig,
    load_config,
    parse_config,
)
from hftsim.net.venue.gateway import ORD_REJ_REASON, Account, Gateway
from hftsim.net.venue.server import VenueServer, event_loop_name, new_event_loop

__all__ = [
    "Account",
    "DashboardConfig",
    "FeedConfig",
    "FixConfig",
    "Gateway",
    "ORD_REJ_REASON",
    "SessionSpec",
    "VenueConfig",
    "VenueServer",
    "WallClock",
    "event_loop_name",
    "load_config",
    "new_event_loop",
    "parse_config",
]
