"""The wall clock of the live venue. Edge: the only place the venue reads real time."""

from __future__ import annotations

import time

__all__ = ["WallClock"]


class WallClock:
    """Real time in integer ns since the Unix epoch (a :class:`~hftsim.core.clock.Clock`)."""

    __slots__ = ()

    def now_ns(self) -> int:
        """Return the current UTC time in ns since the epoch."""
        return time.time_ns()
