"""Replication framing (no sockets)."""

import struct

import pytest

from hftsim.core.errors import ProtocolError
from hftsim.net.standby.protocol import Ack, FrameDecoder, Heartbeat, Hello, Records, encode_frame


def test_frame_round_trip_every_message_kind_decoded_in_order():
    msgs = [
        Hello(epoch=1, node="s", last_seq=5, notes_offset=10, last_record=b"x" * 64),
        Records(epoch=1, first_seq=6, records=b"\0" * 128, notes_offset=10, notes=b"ab", is_sync=True),
        Ack(epoch=1, seq=7, notes_offset=12),
        Heartbeat(epoch=2, last_seq=7),
    ]
    data = b"".join(encode_frame(m) for m in msgs)
    assert FrameDecoder().feed(data) == msgs


def test_frame_split_at_every_byte_decoded_once_complete():
    msg = Ack(epoch=3, seq=99, notes_offset=1)
    frame = encode_frame(msg)
    for cut in range(len(frame)):
        decoder = FrameDecoder()
        assert decoder.feed(frame[:cut]) == []
        assert decoder.feed(frame[cut:]) == [msg]
        assert decoder.pending_bytes == 0


def test_frame_flipped_byte_crc_mismatch_raises():
    frame = bytearray(encode_frame(Ack(epoch=1, seq=2, notes_offset=3)))
    frame[-1] ^= 0xFF
    with pytest.raises(ProtocolError, match="CRC"):
        FrameDecoder().feed(bytes(frame))


def test_frame_length_over_limit_raises():
    with pytest.raises(ProtocolError, match="exceeds"):
        FrameDecoder(max_frame_bytes=16).feed(struct.pack("<II", 17, 0))
