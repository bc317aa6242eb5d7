"""MoldUDP64 downstream packets, the packet filler and re-request packets. Hot path.

Downstream packet (``shared/PROTOCOLS.md`` section 1.3)::

    Session (10, Alpha) | Sequence Number (u64 BE) | Message Count (u16 BE) | blocks...
    block = Message Length (u16 BE, payload only) | payload

Sequence Number is the number of the first message in the packet; message *i* has number
Sequence Number + *i*. A heartbeat has Message Count 0 and carries the next expected number;
the end of session is Message Count 0xFFFF, also carrying the next expected number.

Request packet (listener -> re-request server): Session | Sequence Number (first wanted) |
Requested Message Count (u16 BE), exactly 20 bytes.
"""

from __future__ import annotations

import struct
from enum import IntEnum
from typing import Iterable, Sequence

import msgspec

from hftsim.core.errors import ProtocolError

__all__ = [
    "END_OF_SESSION_COUNT",
    "HEADER_SIZE",
    "HEARTBEAT_COUNT",
    "MoldPacker",
    "MoldPacket",
    "MoldRequest",
    "MoldRequestError",
    "REQUEST_SIZE",
    "decode_packet",
    "decode_request",
    "encode_end_of_session",
    "encode_heartbeat",
    "encode_packet",
    "encode_request",
    "session_field",
]

_HEADER = struct.Struct(">10sQH")
_LENGTH = struct.Struct(">H")
HEADER_SIZE = _HEADER.size  # 20
REQUEST_SIZE = _HEADER.size  # the request has the header's layout and nothing after it
HEARTBEAT_COUNT = 0
END_OF_SESSION_COUNT = 0xFFFF
_MAX_MESSAGES = 0xFFFE  # 0xFFFF is reserved for the end of session
_MAX_SEQUENCE = (1 << 64) - 1


class MoldPacket(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A decoded downstream packet. ``messages`` is empty for heartbeats and the end of session."""

    session: bytes
    sequence_number: int
    message_count: int
    messages: tuple[bytes, ...] = ()

    @property
    def is_heartbeat(self) -> bool:
        """Return True for a heartbeat (count 0)."""
        return self.message_count == HEARTBEAT_COUNT

    @property
    def is_end_of_session(self) -> bool:
        """Return True for an end-of-session packet (count 0xFFFF)."""
        return self.message_count == END_OF_SESSION_COUNT

    @property
    def next_sequence_number(self) -> int:
        """Return the sequence number that follows this packet's messages."""
        return self.sequence_number + len(self.messages)


class MoldRequest(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A decoded re-request: send ``message_count`` messages from ``sequence_number`` on."""

    session: bytes
    sequence_number: int
    message_count: int


class MoldRequestError(IntEnum):
    """Why a re-request was refused (the ``reason`` attribute of its ProtocolError)."""

    BAD_LENGTH = 1
    ZERO_SEQUENCE = 2
    ZERO_COUNT = 3
    COUNT_TOO_LARGE = 4
    WRONG_SESSION = 5


def session_field(session: str | bytes) -> bytes:
    """Return ``session`` as the 10-byte Alpha field (space padded).

    Raises:
        ValueError: longer than 10 bytes or not ASCII.
    """
    data = session.encode("ascii") if isinstance(session, str) else bytes(session)
    if len(data) > 10 or not data.isascii():
        raise ValueError(f"session must be at most 10 ASCII characters, got {session!r}")
    return data.ljust(10)


def encode_packet(session: bytes, sequence_number: int, messages: Iterable[bytes]) -> bytes:
    """Encode a downstream packet holding ``messages`` (``session`` from :func:`session_field`).

    Raises:
        ValueError: a message over 65535 bytes, too many messages, or a bad session or sequence.
    """
    parts = [b""]
    count = 0
    for message in messages:
        if len(message) > 0xFFFF:
            raise ValueError(f"a MoldUDP64 message is at most 65535 bytes, got {len(message)}")
        parts.append(_LENGTH.pack(len(message)))
        parts.append(message)
        count += 1
    if count > _MAX_MESSAGES:
        raise ValueError(f"a packet holds at most {_MAX_MESSAGES} messages, got {count}")
    parts[0] = _pack_header(session, sequence_number, count)
    return b"".join(parts)


def _pack_header(session: bytes, sequence_number: int, count: int) -> bytes:
    if len(session) != 10:
        raise ValueError(f"session must be exactly 10 bytes (use session_field), got {session!r}")
    if not 0 <= sequence_number <= _MAX_SEQUENCE:
        raise ValueError(f"sequence number out of range: {sequence_number}")
    return _HEADER.pack(session, sequence_number, count)


def encode_heartbeat(session: bytes, next_sequence_number: int) -> bytes:
    """Encode a heartbeat carrying the next expected sequence number."""
    return _pack_header(session, next_sequence_number, HEARTBEAT_COUNT)


def encode_end_of_session(session: bytes, next_sequence_number: int) -> bytes:
    """Encode an end-of-session packet carrying the next expected sequence number."""
    return _pack_header(session, next_sequence_number, END_OF_SESSION_COUNT)


def decode_packet(data: bytes | bytearray | memoryview) -> MoldPacket:
    """Decode a downstream packet.

    Raises:
        ProtocolError: shorter than the header, a block running past the end, fewer blocks than
            the count, bytes after the last block, or blocks on a heartbeat or end of session.
    """
    size = len(data)
    if size < HEADER_SIZE:
        raise ProtocolError(f"MoldUDP64 packet of {size} bytes is shorter than the {HEADER_SIZE}-byte header")
    session, sequence_number, count = _HEADER.unpack_from(data, 0)
    if count in (HEARTBEAT_COUNT, END_OF_SESSION_COUNT):
        if size != HEADER_SIZE:
            kind = "heartbeat" if count == HEARTBEAT_COUNT else "end-of-session"
            raise ProtocolError(f"MoldUDP64 {kind} packet has {size - HEADER_SIZE} bytes after the header")
        return MoldPacket(session=session, sequence_number=sequence_number, message_count=count)
    view = data if isinstance(data, bytes) else bytes(data)
    messages = []
    pos = HEADER_SIZE
    for i in range(count):
        if pos + 2 > size:
            raise ProtocolError(f"MoldUDP64 packet ends at byte {size} before block {i + 1} of {count}")
        stop = pos + 2 + (view[pos] << 8 | view[pos + 1])
        if stop > size:
            raise ProtocolError(
                f"MoldUDP64 block {i + 1} of {count} at byte {pos} declares "
                f"{stop - pos - 2} bytes, only {size - pos - 2} present"
            )
        messages.append(view[pos + 2 : stop])
        pos = stop
    if pos != size:
        raise ProtocolError(f"MoldUDP64 packet has {size - pos} bytes after its {count} blocks")
    return MoldPacket(
        session=session, sequence_number=sequence_number, message_count=count, messages=tuple(messages)
    )


def encode_request(session: bytes, sequence_number: int, message_count: int) -> bytes:
    """Encode a re-request for ``message_count`` messages from ``sequence_number`` on."""
    if not 1 <= message_count <= _MAX_MESSAGES:
        raise ValueError(f"requested message count must be 1..{_MAX_MESSAGES}, got {message_count}")
    return _pack_header(session, sequence_number, message_count)


def _request_error(reason: MoldRequestError, detail: str) -> ProtocolError:
    e = ProtocolError(f"MoldUDP64 request {reason.name.lower()}: {detail}")
    e.reason = reason
    return e


def decode_request(
    data: bytes | bytearray | memoryview,
    *,
    max_message_count: int = _MAX_MESSAGES,
    session: bytes | None = None,
) -> MoldRequest:
    """Decode and check a re-request so the server can ignore and count bad ones.

    Args:
        data: the UDP payload.
        max_message_count: larger requests are refused as oversized (the server's limit).
        session: when given, requests for another session are refused.

    Raises:
        ProtocolError: with attribute ``reason`` (:class:`MoldRequestError`): not exactly 20 bytes,
            sequence number 0, count 0, count above ``max_message_count``, or wrong session.
    """
    if len(data) != REQUEST_SIZE:
        raise _request_error(MoldRequestError.BAD_LENGTH, f"expected {REQUEST_SIZE} bytes, got {len(data)}")
    req_session, sequence_number, count = _HEADER.unpack_from(data, 0)
    if session is not None and req_session != session:
        raise _request_error(MoldRequestError.WRONG_SESSION, f"session {req_session!r}, expected {session!r}")
    if sequence_number == 0:
        raise _request_error(MoldRequestError.ZERO_SEQUENCE, "sequence numbers start at 1")
    if count == 0:
        raise _request_error(MoldRequestError.ZERO_COUNT, "requested message count is 0")
    if count > max_message_count:
        raise _request_error(
            MoldRequestError.COUNT_TOO_LARGE, f"requested {count} messages, the limit is {max_message_count}"
        )
    return MoldRequest(session=req_session, sequence_number=sequence_number, message_count=count)


class MoldPacker:
    """Fill downstream packets up to ``max_payload`` bytes from a stream of messages.

    Sequence numbers are assigned in order from ``first_sequence_number``. :meth:`append` returns
    the packets completed by the message (none or one); :meth:`flush` closes the open packet.

    Args:
        session: the 10-byte session field (see :func:`session_field`).
        max_payload: UDP payload limit of a packet, header included (1400 keeps within an
            Ethernet MTU).
        first_sequence_number: number of the first message (1 at the start of a session).
    """

    __slots__ = ("_session", "_max_payload", "_next_seq", "_open_seq", "_parts", "_size")

    def __init__(self, session: bytes, max_payload: int = 1400, first_sequence_number: int = 1) -> None:
        if len(session) != 10:
            raise ValueError(f"session must be exactly 10 bytes (use session_field), got {session!r}")
        if max_payload < HEADER_SIZE + 2:
            raise ValueError(f"max_payload must leave room for a block, got {max_payload}")
        self._session = session
        self._max_payload = max_payload
        self._next_seq = first_sequence_number
        self._open_seq = first_sequence_number
        self._parts: list[bytes] = []
        self._size = HEADER_SIZE

    @property
    def next_sequence_number(self) -> int:
        """Return the sequence number the next appended message will get."""
        return self._next_seq

    @property
    def pending_messages(self) -> int:
        """Return how many messages wait in the open packet."""
        return len(self._parts) // 2

    def append(self, message: bytes) -> list[bytes]:
        """Add one message; return the packet it closed (when it did not fit), else an empty list.

        Raises:
            ValueError: the message cannot fit in any packet of ``max_payload`` bytes.
        """
        block = 2 + len(message)
        if HEADER_SIZE + block > self._max_payload or len(message) > 0xFFFF:
            raise ValueError(
                f"message of {len(message)} bytes does not fit a packet of {self._max_payload} bytes"
            )
        out = []
        if self._size + block > self._max_payload or len(self._parts) >= 2 * _MAX_MESSAGES:
            out.append(self._close())
        self._parts.append(_LENGTH.pack(len(message)))
        self._parts.append(message)
        self._size += block
        self._next_seq += 1
        return out

    def extend(self, messages: Sequence[bytes]) -> list[bytes]:
        """:meth:`append` every message in order; return the packets closed on the way (hot path).

        Raises:
            ValueError: a message cannot fit in any packet (the messages before it are appended).
        """
        out: list[bytes] = []
        max_payload, limit, length = self._max_payload, 2 * _MAX_MESSAGES, _LENGTH.pack
        parts = self._parts
        size = self._size
        largest = min(max_payload - HEADER_SIZE, 2 + 0xFFFF)
        for message in messages:
            block = 2 + len(message)
            if block > largest:
                self._size = size
                self.append(message)  # raises, naming the size
            if size + block > max_payload or len(parts) >= limit:
                self._size = size
                out.append(self._close())
                parts = self._parts
                size = HEADER_SIZE
            parts.append(length(len(message)))
            parts.append(message)
            size += block
            self._next_seq += 1
        self._size = size
        return out

    def pack(self, messages: Iterable[bytes]) -> list[bytes]:
        """Append every message and flush; return all packets produced."""
        out = []
        for message in messages:
            out += self.append(message)
        packet = self.flush()
        if packet is not None:
            out.append(packet)
        return out

    def flush(self) -> bytes | None:
        """Close and return the open packet, or None when it holds no message."""
        return self._close() if self._parts else None

    def heartbeat(self) -> bytes:
        """Return a heartbeat carrying the number of the next message to go out (pending ones included)."""
        return encode_heartbeat(self._session, self._open_seq)

    def end_of_session(self) -> bytes:
        """Return an end-of-session packet carrying the next sequence number (flush first)."""
        return encode_end_of_session(self._session, self._open_seq)

    def _close(self) -> bytes:
        parts = self._parts
        packet = b"".join([_HEADER.pack(self._session, self._open_seq, len(parts) // 2), *parts])
        self._open_seq = self._next_seq
        self._parts = []
        self._size = HEADER_SIZE
        return packet
