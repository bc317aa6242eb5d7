"""Fuzz the ITCH and MoldUDP64 decoders: random bytes raise ProtocolError or decode, nothing else."""

from __future__ import annotations

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hftsim.core.errors import ProtocolError
from hftsim.net.itch import MESSAGE_LENGTHS, decode, encode, iter_itch_file
from hftsim.net.mold import decode_packet, decode_request, encode_packet, session_field

pytestmark = pytest.mark.timeout(120)

TYPES = list(MESSAGE_LENGTHS)


@given(st.binary(max_size=64))
def test_itch_decode_random_bytes(data):
    try:
        record = decode(data)
    except ProtocolError:
        return
    assert len(data) == MESSAGE_LENGTHS[data[:1]] and type(record).__name__


@given(
    st.sampled_from(TYPES).flatmap(
        lambda t: st.binary(min_size=MESSAGE_LENGTHS[t] - 1, max_size=MESSAGE_LENGTHS[t] - 1).map(
            lambda b: t + b
        )
    )
)
def test_itch_decode_any_body_of_right_length_round_trips_or_is_refused(data):
    try:
        record = decode(data)
    except ProtocolError as e:
        assert "timestamp" in str(e)
        return
    try:
        assert encode(record) == data
    except ValueError:  # the encoder writes ASCII only; the decoder reads any byte
        assert any(b >= 0x80 for b in data)


@given(st.binary(max_size=300), st.integers(min_value=2, max_value=64))
def test_itch_file_reader_random_bytes(data, chunk_size):
    try:
        for _offset, _record in iter_itch_file(io.BytesIO(data), chunk_size=chunk_size):
            pass
    except ProtocolError:
        pass


@given(st.binary(max_size=200))
def test_mold_decode_packet_random_bytes(data):
    try:
        packet = decode_packet(data)
    except ProtocolError:
        return
    if packet.messages:
        assert encode_packet(packet.session, packet.sequence_number, packet.messages) == data


@given(st.lists(st.binary(max_size=50), max_size=20), st.integers(min_value=0, max_value=200))
def test_mold_truncated_packet_raises_protocol_error(messages, cut):
    data = encode_packet(session_field("S"), 1, messages)
    truncated = data[: min(cut, len(data) - 1)]
    if messages and len(truncated) >= 20:
        with pytest.raises(ProtocolError):
            decode_packet(truncated)
    else:
        try:
            decode_packet(truncated)
        except ProtocolError:
            pass


@given(st.binary(max_size=40), st.integers(min_value=1, max_value=0xFFFF))
def test_mold_decode_request_random_bytes(data, limit):
    try:
        request = decode_request(data, max_message_count=limit)
    except ProtocolError as e:
        assert e.reason is not None
        return
    assert 1 <= request.message_count <= limit and request.sequence_number >= 1
