"""FeedHandler gap bookkeeping with packets out of order (no sockets: datagrams fed directly)."""

from __future__ import annotations

import asyncio

from hftsim.net.feed.handler import FeedHandler
from hftsim.net.mold.packet import MoldPacker, session_field


def _packets(packer: MoldPacker, messages: list[bytes]) -> bytes:
    for m in messages:
        assert packer.append(m) == []
    return packer.flush()


def test_a_late_packet_behind_end_of_session_closes_the_gap_it_opened():
    async def main() -> dict:
        handler = FeedHandler(b"T", ("127.0.0.1", 0), ("127.0.0.1", 1), apply_book=False)
        packer = MoldPacker(session_field(b"T"))
        first = _packets(packer, [b"a1", b"a2"])  # seq 1-2
        last = _packets(packer, [b"b3"])  # seq 3
        end = packer.end_of_session()  # announces seq 4
        handler.on_datagram(first)
        handler.on_datagram(end)  # overtakes the last data packet: seq 3 is missing, nothing buffered
        assert handler.is_end_of_session and handler.open_gaps == 1
        handler.on_datagram(last)
        stats = handler.stats()
        if handler._timer is not None:
            handler._timer.cancel()
        return stats

    stats = asyncio.run(main())
    assert (stats["next_seq"], stats["open_gaps"], stats["gaps"], stats["gaps_recovered"]) == (4, 0, 1, 1)
    assert stats["messages_recovered"] == 1 and stats["messages_unrecovered"] == 0


def test_a_late_packet_behind_a_heartbeat_closes_the_gap_it_opened():
    async def main() -> dict:
        handler = FeedHandler(b"T", ("127.0.0.1", 0), ("127.0.0.1", 1), apply_book=False)
        packer = MoldPacker(session_field(b"T"))
        late = _packets(packer, [b"x1", b"x2"])
        heartbeat = packer.heartbeat()  # announces seq 3 before the data packet arrives
        following = _packets(packer, [b"x3"])
        handler.on_datagram(heartbeat)
        handler.on_datagram(late)
        handler.on_datagram(following)
        stats = handler.stats()
        if handler._timer is not None:
            handler._timer.cancel()
        return stats

    stats = asyncio.run(main())
    assert (stats["next_seq"], stats["open_gaps"], stats["gaps_recovered"]) == (4, 0, stats["gaps"])
