"""Book snapshots over the re-request port: hftsim's extension of MoldUDP64. Hot path.

A listener that cannot recover a gap (the messages left the retransmit store, or retries ran out)
asks for a snapshot with a 20-byte request shaped like a MoldUDP64 request, with Sequence Number 0
and Requested Message Count 0xFFFF (both invalid in a real request, so the two never mix).

The answer is one or more downstream packets with Sequence Number **0** (live numbers start at 1).
Block 0 of each is a 17-byte marker, then up to the packet size of ITCH Add Order messages::

    '*' (1) | valid_at (u64: the sequence number the snapshot is valid at) | snapshot_id (u32)
        | part (u16, from 0) | parts (u16)

The Add Orders are the whole displayed book in time priority. A listener that holds every part of
one ``snapshot_id`` clears its book, applies the Adds, and continues with live message ``valid_at``.
"""

from __future__ import annotations

import struct

from hftsim.net.mold import HEADER_SIZE, encode_packet

__all__ = [
    "MARKER_SIZE",
    "SNAPSHOT_REQUEST_COUNT",
    "SnapshotMarker",
    "decode_marker",
    "encode_snapshot",
    "encode_snapshot_request",
    "is_snapshot_request",
]

SNAPSHOT_REQUEST_COUNT = 0xFFFF
_REQUEST = struct.Struct(">10sQH")
_MARKER = struct.Struct(">cQIHH")
MARKER_SIZE = _MARKER.size


def encode_snapshot_request(session: bytes) -> bytes:
    """Return the snapshot request for ``session`` (the 10-byte field)."""
    return _REQUEST.pack(session, 0, SNAPSHOT_REQUEST_COUNT)


def is_snapshot_request(data: bytes, session: bytes) -> bool:
    """Return True when ``data`` is a snapshot request for ``session``."""
    return len(data) == _REQUEST.size and _REQUEST.unpack(data) == (session, 0, SNAPSHOT_REQUEST_COUNT)


class SnapshotMarker(tuple):
    """(valid_at, snapshot_id, part, parts) of a snapshot packet."""

    __slots__ = ()

    @property
    def valid_at(self) -> int:
        return self[0]

    @property
    def snapshot_id(self) -> int:
        return self[1]

    @property
    def part(self) -> int:
        return self[2]

    @property
    def parts(self) -> int:
        return self[3]


def decode_marker(block: bytes) -> SnapshotMarker | None:
    """Return the marker of a snapshot packet's first block, or None when it is not one."""
    if len(block) != MARKER_SIZE or block[:1] != b"*":
        return None
    _, valid_at, snapshot_id, part, parts = _MARKER.unpack(block)
    return SnapshotMarker((valid_at, snapshot_id, part, parts))


def encode_snapshot(
    session: bytes, valid_at: int, snapshot_id: int, messages: list[bytes], max_payload: int = 1400
) -> list[bytes]:
    """Return the packets of one snapshot (at least one, even for an empty book)."""
    room = max_payload - HEADER_SIZE - 2 - MARKER_SIZE
    chunks: list[list[bytes]] = [[]]
    used = 0
    for m in messages:
        if used + 2 + len(m) > room and chunks[-1]:
            chunks.append([])
            used = 0
        chunks[-1].append(m)
        used += 2 + len(m)
    parts = len(chunks)
    if parts > 0xFFFF:
        raise ValueError(f"snapshot of {len(messages)} messages needs {parts} packets; at most 65535")
    return [
        encode_packet(session, 0, [_MARKER.pack(b"*", valid_at, snapshot_id & 0xFFFFFFFF, i, parts), *chunk])
        for i, chunk in enumerate(chunks)
    ]
