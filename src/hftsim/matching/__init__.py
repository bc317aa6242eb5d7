"""Matching engine (compiled core and its Python interface) and the venue sequencer."""

from hftsim.matching.engine import EngineSnapshot, MatchingEngine, check_instruments, event_tuples
from hftsim.matching.venue import Venue

__all__ = ["EngineSnapshot", "MatchingEngine", "Venue", "check_instruments", "event_tuples"]
