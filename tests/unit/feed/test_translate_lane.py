"""The feed translator's compiled lane (_translate.c) against the Python translator it accelerates.

Random engine output (every command kind, fills, self-trade prevention, replaces, expiries) goes
through a translator with the lane and one without, in random batches of consecutive commands (as
the venue's feed consumer joins them); the messages and the displayed book must be equal.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftsim.core.enums import StpMode
from hftsim.core.instrument import Instrument
from hftsim.matching import MatchingEngine
from hftsim.net.feed.translate import EventTranslator
from hftsim.net.venue.output import joined
from tests.strategies import INSTRUMENTS, command_records


def state(translator: EventTranslator) -> tuple:
    p = translator._pending
    pending = None if p is None else tuple(getattr(p, f) for f in p.__slots__)
    return list(translator._live.items()), pending, translator.unknown_makers


def both(instruments, batches: list[np.ndarray]) -> tuple[list[bytes], list[bytes]]:
    fast, slow = EventTranslator(instruments), EventTranslator(instruments, compiled=False)
    fast_out, slow_out = [], []
    for events in batches:
        fast_out += fast.translate(events)
        slow_out += slow.translate(events)
        assert state(fast) == state(slow)
    return fast_out, slow_out


@pytest.mark.parametrize("stp", list(StpMode))
@settings(max_examples=40, deadline=None)
@given(commands=command_records(), cuts=st.lists(st.integers(1, 8), min_size=1, max_size=40))
def test_lane_translates_random_engine_output_like_the_python_translator(stp, commands, cuts):
    engine = MatchingEngine(INSTRUMENTS, stp_mode=stp)
    per_command = [engine.run_batch(commands[i : i + 1]).tobytes() for i in range(len(commands))]
    batches, i, k = [], 0, 0
    while i < len(per_command):  # consecutive commands joined, as the feed consumer's turns are
        n = cuts[k % len(cuts)]
        batches.append(joined(per_command[i : i + n]))
        i, k = i + n, k + 1
    fast_out, slow_out = both(INSTRUMENTS, batches)
    assert fast_out == slow_out


def test_lane_leaves_a_symbol_without_alpha8_bytes_to_the_general_encoder():
    spaced = (Instrument(symbol="AB "),)  # a trailing space: the hot encoders have no Alpha(8) for it
    engine = MatchingEngine(spaced)
    engine.new_order(1, 1, 0, 1, 1, 1, False, 100, 5, 1, 1)
    events = engine.last_events().tobytes()
    fast_out, slow_out = both(spaced, [np.frombuffer(events, dtype=engine.last_events().dtype)])
    assert fast_out == slow_out and len(fast_out) == 1


def test_lane_takes_the_plain_cases_itself():
    engine = MatchingEngine(INSTRUMENTS)
    engine.new_order(1, 5, 0, 1, 1, 1, False, 100, 5, 1, 1)
    rest = engine.last_events().copy()
    engine.cancel(2, 6, 0, 1, 1, 0)
    gone = engine.last_events().copy()
    translator = EventTranslator(INSTRUMENTS)
    calls = []
    translator._on_event = lambda record, out: calls.append(record)  # the Python path, watched
    assert len(translator.translate(rest)) == 1 and list(translator._live) == [1]
    assert len(translator.translate(gone)) == 1 and translator._live == {}
    assert calls == []
