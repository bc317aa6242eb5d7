"""Matching engine (compiled core and its Python interface) and the venue sequencer."""

from hftsim.matching.engine import MatchingEngine, check_instruments
from hftsim.matching.venue import Venue

__all__ = ["MatchingEngine", "Venue", "check_instruments"]
