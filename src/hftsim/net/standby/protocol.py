"""Replication protocol between a primary venue and its hot standby. Cold path (framing per batch).

Every frame on the replication TCP connection is::

    u32 little-endian  body length (bytes)
    u32 little-endian  zlib.crc32 of the body
    body               msgpack of one tagged message below

Every message carries the sender's ``epoch`` (its fencing term). The journal records travel as the
raw 64-byte ``COMMAND_DTYPE`` records the journal holds, and the FIX session notes as the raw bytes of
the session log (:mod:`hftsim.net.venue.sessionlog`), so both sides keep byte-identical copies.

===========  =========  ==============================================================================
message      direction  meaning
===========  =========  ==============================================================================
Hello        S -> P     I am at ``last_seq`` (its record bytes ``last_record``) and ``notes_offset``
Welcome      P -> S     the venue manifest (``venue.json``) and where the primary is
Records      P -> S     journal records ``first_seq..`` and session-log bytes from ``notes_offset``
Ack          S -> P     durable on the standby up to ``seq`` and ``notes_offset``
Heartbeat    both       I am alive; ``last_seq``; ``is_sync``: (primary) you are synchronous
Digest       P -> S     the primary's engine digest at ``seq`` (checked by the standby)
Refuse       both       I will not talk to you (stale epoch, divergent journal...), with the reason
===========  =========  ==============================================================================
"""

from __future__ import annotations

import struct
import zlib

import msgspec

from hftsim.core.errors import ProtocolError

__all__ = [
    "Ack",
    "Digest",
    "FrameDecoder",
    "Heartbeat",
    "Hello",
    "MAX_FRAME_BYTES",
    "Message",
    "Records",
    "Refuse",
    "Welcome",
    "encode_frame",
]

MAX_FRAME_BYTES = 64 << 20
_HEAD = struct.Struct("<II")


class _Msg(msgspec.Struct, frozen=True, kw_only=True, tag=True):
    epoch: int


class Hello(_Msg):
    """A standby introduces itself."""

    node: str
    last_seq: int
    notes_offset: int
    last_record: bytes = b""


class Welcome(_Msg):
    """The primary accepts a standby."""

    manifest: bytes
    primary_last_seq: int


class Records(_Msg):
    """Journal records (raw COMMAND_DTYPE bytes) and session-log bytes."""

    first_seq: int
    records: bytes
    notes_offset: int
    notes: bytes
    is_sync: bool = False


class Ack(_Msg):
    """The standby holds (durably) everything up to ``seq`` and ``notes_offset``."""

    seq: int
    notes_offset: int


class Heartbeat(_Msg):
    """Liveness; ``last_seq`` is the sender's last seq (applied, for a standby)."""

    last_seq: int
    is_sync: bool = False


class Digest(_Msg):
    """The primary's state digest at ``seq``."""

    seq: int
    digest: str


class Refuse(_Msg):
    """The sender refuses the connection."""

    reason: str


Message = Hello | Welcome | Records | Ack | Heartbeat | Digest | Refuse
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Message)


def encode_frame(msg: Message) -> bytes:
    """Return the frame of one message."""
    body = _encoder.encode(msg)
    return _HEAD.pack(len(body), zlib.crc32(body)) + body


class FrameDecoder:
    """Turn a byte stream into messages; keeps a partial frame until the rest arrives.

    Raises (from :meth:`feed`):
        ProtocolError: a frame too long, a CRC mismatch or an undecodable body; the connection
            must be dropped (nothing after the damage is trusted).
    """

    def __init__(self, max_frame_bytes: int = MAX_FRAME_BYTES) -> None:
        self._buf = bytearray()
        self._max = max_frame_bytes

    @property
    def pending_bytes(self) -> int:
        """Bytes of an incomplete frame held."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[Message]:
        """Add received bytes; return every complete message, in order."""
        buf = self._buf
        buf += data
        out: list[Message] = []
        pos = 0
        while len(buf) - pos >= _HEAD.size:
            length, crc = _HEAD.unpack_from(buf, pos)
            if length > self._max:
                raise ProtocolError(
                    f"replication frame of {length} bytes exceeds the limit {self._max}; stream damaged"
                )
            end = pos + _HEAD.size + length
            if end > len(buf):
                break
            body = bytes(buf[pos + _HEAD.size : end])
            if zlib.crc32(body) != crc:
                raise ProtocolError(f"replication frame CRC mismatch at stream offset {pos}; stream damaged")
            try:
                out.append(_decoder.decode(body))
            except msgspec.DecodeError as e:
                raise ProtocolError(f"replication frame undecodable: {e}") from e
            pos = end
        del buf[:pos]
        return out
