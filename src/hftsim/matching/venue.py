"""Venue: symbols, the sequencer and the matching engine. Hot path.

The sequencer gives every command the next sequence number and a timestamp from the injected clock
before the engine applies it; the same stamped command is what the journal records, so replaying the
journal reproduces every event.
"""

from __future__ import annotations

from typing import Literal, Sequence

import msgspec

from hftsim.core.clock import Clock
from hftsim.core.enums import StpMode
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.core.messages import Command, Event
from hftsim.matching.engine import MatchingEngine

__all__ = ["Venue"]


class Venue:
    """A multi-symbol venue: a sequencer in front of a :class:`MatchingEngine`.

    Args:
        instruments: the symbols, ``symbol_id`` 0, 1, ... in order.
        clock: where command timestamps come from (SimClock in simulation, WallClock live).
        stp_mode: self-trade prevention.
        impl: ``"fast"`` or ``"reference"``.
    """

    def __init__(
        self,
        instruments: Sequence[Instrument],
        clock: Clock,
        stp_mode: StpMode = StpMode.CANCEL_RESTING,
        impl: Literal["fast", "reference"] = "fast",
    ) -> None:
        self.engine = MatchingEngine(instruments, stp_mode, impl)
        self.instruments = self.engine.instruments
        self._clock = clock
        self._ids = {ins.symbol: ins.symbol_id for ins in self.instruments}
        self.last_seq = 0

    def symbol_id(self, symbol: str) -> int:
        """Return the id of ``symbol``; ConfigError when the venue does not list it."""
        try:
            return self._ids[symbol]
        except KeyError:
            raise ConfigError(f"unknown symbol {symbol!r}; the venue lists {sorted(self._ids)}") from None

    def submit(self, cmd: Command) -> list[Event]:
        """Sequence and timestamp ``cmd``, apply it, and return its events."""
        self.last_seq += 1
        return self.engine.submit(msgspec.structs.replace(cmd, ts_event=self._clock.now_ns()), self.last_seq)
