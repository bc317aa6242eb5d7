"""MoldUDP64: golden packets, decoding errors, the packet filler and re-requests."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hftsim.core.errors import ProtocolError
from hftsim.net.mold import (
    END_OF_SESSION_COUNT,
    HEADER_SIZE,
    MoldPacker,
    MoldPacket,
    MoldRequest,
    MoldRequestError,
    decode_packet,
    decode_request,
    encode_end_of_session,
    encode_heartbeat,
    encode_packet,
    encode_request,
    session_field,
)

SESSION = session_field("HFTSIM1")  # b"HFTSIM1   "
SESSION_HEX = "48465453494d31202020"  # "HFTSIM1" + 3 spaces


def hx(*parts: str) -> bytes:
    return bytes.fromhex("".join(parts))


def test_packet_golden_bytes():
    # Session (10) | Sequence Number u64 BE = 5 | Count u16 BE = 2 | len 3 "abc" | len 1 "z"
    expected = hx(SESSION_HEX, "0000000000000005", "0002", "0003", "616263", "0001", "7a")
    assert encode_packet(SESSION, 5, [b"abc", b"z"]) == expected
    assert decode_packet(expected) == MoldPacket(
        session=SESSION, sequence_number=5, message_count=2, messages=(b"abc", b"z")
    )


def test_heartbeat_and_end_of_session_golden_bytes():
    heartbeat = hx(SESSION_HEX, "0000000000000064", "0000")  # next expected 100, count 0
    end = hx(SESSION_HEX, "0000000000000064", "ffff")
    assert encode_heartbeat(SESSION, 100) == heartbeat and encode_end_of_session(SESSION, 100) == end
    assert decode_packet(heartbeat).is_heartbeat and not decode_packet(heartbeat).is_end_of_session
    assert decode_packet(end).is_end_of_session and decode_packet(end).messages == ()
    assert decode_packet(heartbeat).next_sequence_number == 100


def test_request_golden_bytes_round_trip():
    expected = hx(SESSION_HEX, "0000000000000007", "01f4")  # from 7, 500 messages
    assert encode_request(SESSION, 7, 500) == expected
    assert decode_request(expected) == MoldRequest(session=SESSION, sequence_number=7, message_count=500)


def test_session_field_pads_and_validates():
    assert session_field("A") == b"A" + b" " * 9 and len(SESSION) == 10
    with pytest.raises(ValueError):
        session_field("ELEVENCHARS")


def test_packet_with_empty_message_round_trips():
    data = encode_packet(SESSION, 1, [b"", b"x"])
    assert decode_packet(data).messages == (b"", b"x")


@pytest.mark.parametrize(
    "data, text",
    [
        (b"", "shorter than the 20-byte header"),
        (hx(SESSION_HEX, "0000000000000001"), "shorter"),
        (hx(SESSION_HEX, "0000000000000001", "0001"), "before block 1 of 1"),
        (hx(SESSION_HEX, "0000000000000001", "0001", "00"), "before block 1 of 1"),
        (hx(SESSION_HEX, "0000000000000001", "0001", "0005", "6162"), "declares 5 bytes, only 2 present"),
        (hx(SESSION_HEX, "0000000000000001", "0002", "0001", "61"), "before block 2 of 2"),
        (hx(SESSION_HEX, "0000000000000001", "0001", "0001", "61", "ff"), "1 bytes after its 1 blocks"),
        (hx(SESSION_HEX, "0000000000000001", "0000", "00"), "heartbeat"),
        (hx(SESSION_HEX, "0000000000000001", "ffff", "0001", "61"), "end-of-session"),
    ],
)
def test_decode_malformed_packet_raises_protocol_error(data, text):
    with pytest.raises(ProtocolError, match=text):
        decode_packet(data)


def test_encode_packet_rejects_oversized_message_and_bad_session():
    with pytest.raises(ValueError):
        encode_packet(SESSION, 1, [bytes(70_000)])
    with pytest.raises(ValueError):
        encode_packet(b"short", 1, [b"x"])


@pytest.mark.parametrize(
    "data, reason",
    [
        (hx(SESSION_HEX, "0000000000000007", "01"), MoldRequestError.BAD_LENGTH),
        (hx(SESSION_HEX, "0000000000000007", "0001", "00"), MoldRequestError.BAD_LENGTH),
        (hx(SESSION_HEX, "0000000000000000", "0001"), MoldRequestError.ZERO_SEQUENCE),
        (hx(SESSION_HEX, "0000000000000007", "0000"), MoldRequestError.ZERO_COUNT),
        (hx(SESSION_HEX, "0000000000000007", "01f5"), MoldRequestError.COUNT_TOO_LARGE),
        (hx("4f544845522020202020", "0000000000000007", "0001"), MoldRequestError.WRONG_SESSION),  # "OTHER"
    ],
)
def test_decode_bad_request_reports_reason(data, reason):
    with pytest.raises(ProtocolError) as e:
        decode_request(data, max_message_count=500, session=SESSION)
    assert e.value.reason is reason


def test_encode_request_rejects_zero_or_reserved_count():
    for count in (0, END_OF_SESSION_COUNT):
        with pytest.raises(ValueError):
            encode_request(SESSION, 1, count)


def test_packer_fills_packets_within_limit_and_numbers_messages():
    messages = [bytes([i % 256]) * (10 + i % 50) for i in range(500)]
    packer = MoldPacker(SESSION, max_payload=1400, first_sequence_number=1)
    packets = packer.pack(messages)
    decoded = [decode_packet(p) for p in packets]
    assert all(len(p) <= 1400 for p in packets)
    assert [m for d in decoded for m in d.messages] == messages
    expected_seq = 1
    for d in decoded:
        assert d.sequence_number == expected_seq and d.session == SESSION
        expected_seq += d.message_count
    assert packer.next_sequence_number == 501 == expected_seq
    # "fills": a packet was closed only because the next message did not fit
    for d, nxt in zip(decoded, decoded[1:]):
        used = HEADER_SIZE + sum(2 + len(m) for m in d.messages)
        assert used + 2 + len(nxt.messages[0]) > 1400


def test_packer_append_returns_closed_packet_and_flush_rest():
    packer = MoldPacker(SESSION, max_payload=HEADER_SIZE + 2 * 12, first_sequence_number=10)
    assert packer.append(bytes(10)) == []
    assert packer.append(bytes(10)) == []
    (closed,) = packer.append(b"third")
    assert decode_packet(closed).sequence_number == 10 and decode_packet(closed).message_count == 2
    assert packer.pending_messages == 1
    assert decode_packet(packer.heartbeat()).sequence_number == 12  # the pending message goes out next
    last = packer.flush()
    assert decode_packet(last).sequence_number == 12 and decode_packet(last).messages == (b"third",)
    assert packer.flush() is None
    assert decode_packet(packer.heartbeat()).sequence_number == 13
    assert decode_packet(packer.end_of_session()).is_end_of_session


def test_packer_message_too_large_raises_value_error():
    packer = MoldPacker(SESSION, max_payload=100)
    with pytest.raises(ValueError):
        packer.append(bytes(79))
    assert packer.append(bytes(78)) == []  # 20 + 2 + 78 = 100 fits exactly


@given(
    st.lists(st.lists(st.binary(min_size=0, max_size=60), max_size=30), max_size=6),
    st.integers(min_value=HEADER_SIZE + 62, max_value=400),
)
def test_packer_extend_equals_append_one_by_one(batches, max_payload):
    one, many = (MoldPacker(SESSION, max_payload=max_payload, first_sequence_number=5) for _ in range(2))
    for batch in batches:
        expected = [packet for m in batch for packet in one.append(m)]
        assert many.extend(batch) == expected
        assert many.next_sequence_number == one.next_sequence_number
    assert many.flush() == one.flush()


def test_packer_extend_refuses_a_message_too_large_after_appending_those_before():
    packer = MoldPacker(SESSION, max_payload=HEADER_SIZE + 12)
    with pytest.raises(ValueError, match="does not fit"):
        packer.extend([b"ok", b"x" * 11])
    assert packer.next_sequence_number == 2 and packer.pending_messages == 1
