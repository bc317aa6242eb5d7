"""Retransmit store bounds and the re-request server's checks, queues and rate limits (in memory)."""

from __future__ import annotations

import asyncio

from hypothesis import given
from hypothesis import strategies as st

from hftsim.net.feed.server import RerequestServer, RetransmitPolicy, TokenBucket
from hftsim.net.feed.snapshot import decode_marker, encode_snapshot, encode_snapshot_request
from hftsim.net.feed.store import RetransmitStore
from hftsim.net.mold import decode_packet, encode_request, session_field

S = session_field("T")


def test_store_get_returns_messages_by_sequence():
    store = RetransmitStore(max_messages=64, segment_messages=8)
    for i in range(1, 31):
        assert store.append(b"m%d" % i) == i
    assert store.get(5, 3) == [b"m5", b"m6", b"m7"]
    assert store.get(28, 10) == [b"m28", b"m29", b"m30"]
    assert store.get(31, 1) == []


def test_store_evicts_oldest_segments_beyond_bound():
    store = RetransmitStore(max_messages=16, segment_messages=8)
    for i in range(1, 101):
        store.append(b"x" * 10)
    assert 16 <= store.next_sequence_number - store.first_sequence_number <= 24
    assert store.get(1, 5) == [] and store.evicted_messages >= 76


class _FakeTransport:
    def __init__(self):
        self.sent = []

    def sendto(self, data, addr):
        self.sent.append((data, addr))


def _server(policy=None, messages=100):
    store = RetransmitStore(max_messages=1 << 16)
    for i in range(1, messages + 1):
        store.append(b"M%04d" % i)
    now = [0]
    server = RerequestServer(
        S,
        store,
        lambda: (store.next_sequence_number, [b"A" * 36] * 80),
        policy or RetransmitPolicy(),
        lambda: now[0],
    )
    transport = _FakeTransport()
    server.connection_made(transport)
    return server, transport, now


async def _settle():
    for _ in range(5):
        await asyncio.sleep(0)


def test_server_answers_request_with_original_sequence_numbers():
    async def main():
        server, transport, _ = _server()
        server.datagram_received(encode_request(S, 10, 3), ("127.0.0.1", 9))
        await _settle()
        ((packet, addr),) = transport.sent
        p = decode_packet(packet)
        assert (
            addr == ("127.0.0.1", 9)
            and p.sequence_number == 10
            and p.messages == (b"M0010", b"M0011", b"M0012")
        )
        assert server.counts["requests_priority"] == 1

    asyncio.run(main())


def test_server_malformed_and_oversized_requests_ignored_and_counted():
    async def main():
        server, transport, _ = _server(RetransmitPolicy(max_request_messages=50))
        for bad in (
            b"short",
            encode_request(S, 1, 51),
            encode_request(session_field("OTHER"), 1, 1),
            S + bytes(8) + b"\x00\x01",
            encode_request(S, 1, 1) + b"x",
        ):
            server.datagram_received(bad, ("127.0.0.1", 9))
        await _settle()
        assert transport.sent == [] and server.counts["malformed"] == 5
        assert (
            server.counts["malformed_count_too_large"] == 1 and server.counts["malformed_wrong_session"] == 1
        )
        assert server.counts["malformed_bad_length"] == 2 and server.counts["malformed_zero_sequence"] == 1

    asyncio.run(main())


def test_server_request_flood_from_one_source_rate_limited():
    async def main():
        server, transport, _ = _server(RetransmitPolicy(requests_per_s_per_source=100))
        for _ in range(1000):  # clock frozen: only the bucket's depth gets through
            server.datagram_received(encode_request(S, 1, 1), ("127.0.0.1", 9))
        server.datagram_received(encode_request(S, 1, 1), ("127.0.0.1", 10))
        await _settle()
        assert server.counts["requests"] == 101 and server.counts["requests_rate_limited"] == 900

    asyncio.run(main())


def test_server_large_old_request_paced_small_recent_first():
    async def main():
        policy = RetransmitPolicy(
            small_request_messages=10, paced_messages_per_s=1000, paced_burst_messages=20
        )
        server, transport, now = _server(policy, messages=500)
        server.datagram_received(encode_request(S, 1, 400), ("127.0.0.1", 1))
        server.datagram_received(encode_request(S, 495, 5), ("127.0.0.1", 2))
        await _settle()
        assert transport.sent[0][1] == ("127.0.0.1", 2)  # the small recent one went first
        paced = sum(decode_packet(d).message_count for d, a in transport.sent if a == ("127.0.0.1", 1))
        assert paced == 20  # one bucket's depth, the rest waits for tokens
        assert server.counts["requests_paced"] == 1 and server.backlog_jobs == 1

    asyncio.run(main())


def test_snapshot_request_answered_with_marked_parts():
    async def main():
        server, transport, _ = _server()
        server.datagram_received(encode_snapshot_request(S), ("127.0.0.1", 9))
        await _settle()
        markers = [decode_marker(decode_packet(d).messages[0]) for d, _ in transport.sent]
        assert [m.part for m in markers] == list(range(markers[0].parts)) and markers[0].valid_at == 101
        assert sum(len(decode_packet(d).messages) - 1 for d, _ in transport.sent) == 80

    asyncio.run(main())


def test_snapshot_empty_book_is_one_packet():
    (packet,) = encode_snapshot(S, 7, 1, [])
    p = decode_packet(packet)
    assert p.sequence_number == 0 and decode_marker(p.messages[0]) == (7, 1, 0, 1)


def test_token_bucket_refills_at_rate_up_to_burst():
    b = TokenBucket(1000, 10, 0)
    assert all(b.take(1, 0) for _ in range(10)) and not b.take(1, 0)
    assert b.take(5, 5_000_000) and not b.take(1, 5_000_000)
    assert b.refill(10**9) == 10


@given(st.lists(st.lists(st.binary(min_size=1, max_size=20), max_size=25), max_size=8))
def test_store_extend_equals_append_one_by_one(batches):
    one = RetransmitStore(max_messages=24, max_bytes=300, segment_messages=8, first_sequence_number=3)
    many = RetransmitStore(max_messages=24, max_bytes=300, segment_messages=8, first_sequence_number=3)
    for batch in batches:
        for m in batch:
            one.append(m)
        many.extend(batch)
        assert (many.next_sequence_number, many.first_sequence_number, many.nbytes) == (
            one.next_sequence_number,
            one.first_sequence_number,
            one.nbytes,
        )
        assert many.evicted_messages == one.evicted_messages
        start = one.first_sequence_number
        assert many.get(start, 100) == one.get(start, 100)
