"""Byte layout of journal segments: header, record frames, file names. Cold path.

Every multi-byte field is little-endian. The layout is described for people in ``docs/journal.md``;
this module is the single place that encodes it.

Segment file::

    offset  size  field
    0       8     magic            b"HFTSJRNL"
    8       2     format_version   u16 (FORMAT_VERSION)
    10      2     header_bytes     u16 (64)
    12      4     flags            u32, reserved, 0
    16      8     run_seed         u64
    24      8     segment_index    u64, 1-based, equals the number in the file name
    32      8     first_seq        i64, seq of the first record this segment holds (or would hold)
    40      8     created_at_ns    i64, given by the caller (never read from the wall clock here)
    48      12    reserved         zeros
    60      4     header_crc       u32, zlib.crc32 of bytes 0..59
    64      ...   record frames, back to back

Record frame::

    0       4     payload_bytes    u32 (64 for a COMMAND record)
    4       1     record_type      u8 (RecordType)
    5       3     reserved         zeros
    8       n     payload          n = payload_bytes
    8+n     4     crc              u32, zlib.crc32 of bytes 0..8+n-1 (length, type and payload)

Magic and version sit at the same offsets in every format version, so a reader can always say which
version it found before it trusts anything else.
"""

from __future__ import annotations

import re
import struct
import zlib
from enum import IntEnum
from pathlib import Path

import msgspec
import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.errors import JournalCorrupt, JournalError

MAGIC = b"HFTSJRNL"
FORMAT_VERSION = 1
HEADER_BYTES = 64
SEGMENT_SUFFIX = ".hfj"
_SEGMENT_NAME = re.compile(r"^journal-(\d{12})\.hfj$")
_HEADER = struct.Struct("<8sHHIQQqq12x")  # everything before the CRC: 60 bytes
_HEADER_CRC = struct.Struct("<I")
_VERSION_FIELD = struct.Struct("<H")
assert _HEADER.size + _HEADER_CRC.size == HEADER_BYTES


class RecordType(IntEnum):
    """The kind of payload a frame carries. Values are part of the format: never renumber."""

    COMMAND = 1


#: Payload dtype of each record type this version reads and writes.
PAYLOAD_DTYPES: dict[int, np.dtype] = {RecordType.COMMAND: COMMAND_DTYPE}

FRAME_PREFIX_BYTES = 8
FRAME_CRC_BYTES = 4
COMMAND_FRAME_DTYPE = np.dtype(
    [
        ("payload_bytes", "<u4"),
        ("record_type", "u1"),
        ("_reserved", "u1", (3,)),
        ("payload", COMMAND_DTYPE),
        ("crc", "<u4"),
    ]
)
COMMAND_FRAME_BYTES = COMMAND_FRAME_DTYPE.itemsize
#: Bytes of a command frame covered by its CRC (everything but the CRC itself).
COMMAND_CRC_COVERED = COMMAND_FRAME_BYTES - FRAME_CRC_BYTES
assert COMMAND_FRAME_BYTES == FRAME_PREFIX_BYTES + COMMAND_DTYPE.itemsize + FRAME_CRC_BYTES


class SegmentHeader(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """The decoded header of one segment file."""

    format_version: int
    run_seed: int
    segment_index: int
    first_seq: int
    created_at_ns: int


def segment_name(segment_index: int) -> str:
    """Return the file name of a segment; names sort in segment order."""
    return f"journal-{segment_index:012d}{SEGMENT_SUFFIX}"


def list_segments(directory: Path) -> list[tuple[int, Path]]:
    """Return ``(segment_index, path)`` of every segment file in ``directory``, in order.

    Raises:
        JournalError: the directory does not exist.
    """
    if not directory.is_dir():
        raise JournalError(f"journal directory {directory} does not exist or is not a directory")
    found = []
    for path in directory.iterdir():
        match = _SEGMENT_NAME.match(path.name)
        if match:
            found.append((int(match.group(1)), path))
    found.sort()
    return found


def encode_header(header: SegmentHeader) -> bytes:
    """Return the 64 header bytes of a segment, CRC included."""
    body = _HEADER.pack(
        MAGIC,
        header.format_version,
        HEADER_BYTES,
        0,
        header.run_seed,
        header.segment_index,
        header.first_seq,
        header.created_at_ns,
    )
    return body + _HEADER_CRC.pack(zlib.crc32(body))


def decode_header(data: bytes, path: Path) -> SegmentHeader:
    """Decode and check the first 64 bytes of a segment.

    Args:
        data: at least HEADER_BYTES bytes from the start of the file.
        path: the file, for messages.

    Raises:
        JournalError: not a journal segment, or a format version this code does not read.
        JournalCorrupt: the header CRC does not match.
    """
    magic = bytes(data[:8])
    if magic != MAGIC:
        raise JournalError(f"{path}: not an hftsim journal segment: magic is {magic!r}, expected {MAGIC!r}")
    (version,) = _VERSION_FIELD.unpack_from(data, 8)
    if version != FORMAT_VERSION:
        raise JournalError(
            f"{path}: journal format version {version} found, this hftsim reads version {FORMAT_VERSION}; "
            "replay it with the hftsim release that wrote it"
        )
    (stored_crc,) = _HEADER_CRC.unpack_from(data, _HEADER.size)
    actual_crc = zlib.crc32(bytes(data[: _HEADER.size]))
    if stored_crc != actual_crc:
        raise JournalCorrupt(
            f"{path}: segment header CRC mismatch at byte offset {_HEADER.size}: stored {stored_crc:#010x}, "
            f"computed {actual_crc:#010x}"
        )
    _, version, header_bytes, _, run_seed, segment_index, first_seq, created_at_ns = _HEADER.unpack_from(data)
    if header_bytes != HEADER_BYTES:
        raise JournalCorrupt(f"{path}: header says it is {header_bytes} bytes, expected {HEADER_BYTES}")
    return SegmentHeader(
        format_version=version,
        run_seed=run_seed,
        segment_index=segment_index,
        first_seq=first_seq,
        created_at_ns=created_at_ns,
    )
