"""Clocks injected into the deterministic core. Cold path.

Only the simulation kernel advances a :class:`SimClock`. The wall clock lives in ``hftsim.net``.
"""

from __future__ import annotations

from typing import Protocol

from hftsim.core.errors import InvariantError

__all__ = ["Clock", "SimClock"]


class Clock(Protocol):
    """Anything that tells the current time in integer nanoseconds."""

    def now_ns(self) -> int:
        """Return the current time in ns."""
        ...


class SimClock:
    """Simulated time. Only the kernel calls :meth:`advance_to`."""

    __slots__ = ("_now_ns",)

    def __init__(self, start_ns: int = 0) -> None:
        self._now_ns = int(start_ns)

    def now_ns(self) -> int:
        """Return the simulated time in ns."""
        return self._now_ns

    def advance_to(self, t_ns: int) -> None:
        """Move time forward to ``t_ns``; moving backwards is an invariant error."""
        if t_ns < self._now_ns:
            raise InvariantError(f"clock would move backwards: now={self._now_ns}, requested={t_ns}")
        self._now_ns = t_ns
