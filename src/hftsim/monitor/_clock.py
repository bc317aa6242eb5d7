"""The monitor's default wall clock. Edge: monitoring may read real time, the core never does."""

from __future__ import annotations

import time

__all__ = ["MonotonicClock"]


class MonotonicClock:
    """Monotonic time in integer ns (a :class:`~hftsim.core.clock.Clock`), for rates and idle periods."""

    __slots__ = ()

    def now_ns(self) -> int:
        """Return the monotonic clock in ns."""
        return time.monotonic_ns()
