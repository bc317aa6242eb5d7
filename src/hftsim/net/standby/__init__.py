"""Hot standby and failover: replication of the journal stream, epochs and fencing, takeover,
FIX clients that fail over, and the failover drill (``docs/failover.md``)."""

from hftsim.net.standby.client import FailoverClient
from hftsim.net.standby.epoch import (
    EpochFile,
    FenceFile,
    is_stale,
    may_serve,
    may_take_over,
    next_epoch,
    primary_must_step_down,
    standby_accepts_primary,
)
from hftsim.net.standby.node import open_primary, run_node
from hftsim.net.standby.primary import PrimaryServer, status_of
from hftsim.net.standby.protocol import FrameDecoder, encode_frame
from hftsim.net.standby.standby import Standby

__all__ = [
    "EpochFile",
    "FailoverClient",
    "FenceFile",
    "FrameDecoder",
    "PrimaryServer",
    "Standby",
    "encode_frame",
    "is_stale",
    "may_serve",
    "may_take_over",
    "next_epoch",
    "open_primary",
    "primary_must_step_down",
    "run_node",
    "standby_accepts_primary",
    "status_of",
]
