"""The market-data sequence continues without a gap when a replica publisher takes over."""

import asyncio

import pytest

from hftsim.core.instrument import Instrument
from hftsim.matching.engine import MatchingEngine

feed = pytest.importorskip("hftsim.net.feed.publisher")

pytestmark = pytest.mark.slow


def test_feed_replica_fed_before_start_continues_primary_sequence():
    instruments = [Instrument(symbol="SIM")]

    async def main():
        engine = MatchingEngine(instruments)
        events = []
        for i in range(40):
            engine.new_order(
                i + 1, 1000 + i, 0, 1 if i % 2 else -1, 1, 1, 0, 10_000 + i % 3, 10, 1 + i % 2, i + 1
            )
            events.append(engine.last_events().copy())
        primary = feed.FeedPublisher(instruments, b"HFTSIM0001", [("127.0.0.1", 9)], 0)
        await primary.start()
        for e in events:
            primary.publish(e)
        await asyncio.sleep(0)
        expected = primary.next_sequence_number
        await primary.stop(linger_s=0)
        # the standby's publisher: fed by the replica replay while not started, started at takeover
        replica = feed.FeedPublisher(instruments, b"HFTSIM0001", [("127.0.0.1", 9)], 0)
        for e in events:
            replica.publish(e)
        await replica.start()
        await asyncio.sleep(0)
        got = replica.next_sequence_number
        await replica.stop(linger_s=0)
        return expected, got

    expected, got = asyncio.run(main())
    assert got == expected
