"""Build and check record frames in bulk, one numpy pass per batch. Hot path.

Layouts are in :mod:`hftsim.journal._format`. Building a batch's frames is a handful of field
assignments plus one CRC kernel call; checking a segment is one CRC kernel call and a comparison,
so neither loops in Python per record.
"""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.errors import JournalError
from hftsim.journal._crc import crc32_rows
from hftsim.journal._format import (
    COMMAND_CRC_COVERED,
    COMMAND_FRAME_BYTES,
    COMMAND_FRAME_DTYPE,
    FRAME_CRC_BYTES,
    FRAME_PREFIX_BYTES,
    HEADER_BYTES,
    PAYLOAD_DTYPES,
    RecordType,
)

_COMMAND_PAYLOAD_BYTES = COMMAND_FRAME_BYTES - FRAME_PREFIX_BYTES - FRAME_CRC_BYTES


def encode_command_frames(records: np.ndarray) -> np.ndarray:
    """Return the frames of a batch of COMMAND_DTYPE records, CRCs filled in.

    Args:
        records: 1-D array of COMMAND_DTYPE (already checked by the caller).

    Returns:
        1-D array of COMMAND_FRAME_DTYPE; its buffer is the exact bytes to write.
    """
    # Zeroed, then filled field by field: padding bytes inside a record are always written as zeros,
    # whatever the caller's buffer held there, so equal commands give equal journal bytes.
    frames = np.zeros(records.shape[0], dtype=COMMAND_FRAME_DTYPE)
    frames["payload_bytes"] = _COMMAND_PAYLOAD_BYTES
    frames["record_type"] = RecordType.COMMAND
    frames["payload"] = records
    frames["crc"] = crc32_rows(frames.view(np.uint8).reshape(-1, COMMAND_FRAME_BYTES), COMMAND_CRC_COVERED)
    return frames


def count_valid_frames(body: np.ndarray) -> tuple[np.ndarray, int]:
    """Check the frames of a segment body in bulk.

    Args:
        body: the segment's bytes after the header, as a ``uint8`` array.

    Returns:
        ``(records, good)``: how many leading frames have the expected length, record type and
        CRC, and the payloads of those frames as a new COMMAND_DTYPE array (bytes copied as they
        are, padding included, so a digest of the records is a digest of what is on disk).
    """
    whole = body.shape[0] // COMMAND_FRAME_BYTES
    rows = body[: whole * COMMAND_FRAME_BYTES].reshape(whole, COMMAND_FRAME_BYTES)
    frames = rows.reshape(-1).view(COMMAND_FRAME_DTYPE)
    is_ok = frames["crc"] == crc32_rows(rows, COMMAND_CRC_COVERED)
    is_ok &= frames["payload_bytes"] == _COMMAND_PAYLOAD_BYTES
    is_ok &= frames["record_type"] == RecordType.COMMAND
    good = whole if bool(is_ok.all()) else int(np.argmin(is_ok))
    payload = rows[:good, FRAME_PREFIX_BYTES : FRAME_PREFIX_BYTES + _COMMAND_PAYLOAD_BYTES]
    return np.ascontiguousarray(payload).view(COMMAND_DTYPE).reshape(good), good


def describe_bad_frame(body: np.ndarray, index: int, path: Path) -> tuple[bool, str]:
    """Say why the frame at ``index`` failed and whether it could be a torn write.

    A crash mid-write leaves whole sectors: the tail of the file is missing, or reads as zeros, or
    holds one frame with a bad CRC followed only by zeros. Those patterns could be a torn write;
    anything else (a wrong length or type, a bad CRC with data after it) is corruption.

    Returns:
        ``(could_be_torn, message)``.

    Raises:
        JournalError: the frame is intact (its CRC matches) but of a record type this reader does
            not know, so it was written by a newer hftsim.
    """
    start = index * COMMAND_FRAME_BYTES
    offset = HEADER_BYTES + start
    rest = body[start:]
    if not rest.any():
        return True, f"{path}: {rest.shape[0]} zero bytes where a frame should start, at byte offset {offset}"
    if rest.shape[0] < FRAME_PREFIX_BYTES:
        return True, f"{path}: {rest.shape[0]} bytes of a partial frame prefix at byte offset {offset}"
    payload_bytes = int(rest[:4].view("<u4")[0])
    record_type = int(rest[4])
    frame_bytes = FRAME_PREFIX_BYTES + payload_bytes + FRAME_CRC_BYTES
    known = PAYLOAD_DTYPES.get(record_type)
    if known is None or known.itemsize != payload_bytes:
        _raise_if_newer_record_type(rest, frame_bytes, record_type, known, offset, path)
        return False, (
            f"{path}: frame at byte offset {offset} has record type {record_type} with "
            f"{payload_bytes} payload bytes; expected type {int(RecordType.COMMAND)} with "
            f"{_COMMAND_PAYLOAD_BYTES}"
        )
    if frame_bytes > rest.shape[0]:
        return True, (
            f"{path}: partial frame at byte offset {offset}: {rest.shape[0]} of {frame_bytes} bytes present"
        )
    stored = int(rest[frame_bytes - FRAME_CRC_BYTES : frame_bytes].view("<u4")[0])
    computed = zlib.crc32(rest[: frame_bytes - FRAME_CRC_BYTES].tobytes())
    assert stored != computed, "describe_bad_frame called on a good frame"
    return not rest[frame_bytes:].any(), (
        f"{path}: record CRC mismatch at byte offset {offset}: stored "
        f"{stored:#010x}, computed {computed:#010x}"
    )


def _raise_if_newer_record_type(
    rest: np.ndarray, frame_bytes: int, record_type: int, known: np.dtype | None, offset: int, path: Path
) -> None:
    if known is not None or frame_bytes > rest.shape[0]:
        return
    stored = int(rest[frame_bytes - FRAME_CRC_BYTES : frame_bytes].view("<u4")[0])
    if stored == zlib.crc32(rest[: frame_bytes - FRAME_CRC_BYTES].tobytes()):
        raise JournalError(
            f"{path}: record type {record_type} at byte offset {offset} is not known to this "
            f"reader (it knows {sorted(PAYLOAD_DTYPES)}); read it with a newer hftsim"
        )


def check_seqs_continue(seqs: np.ndarray, next_seq: int) -> None:
    """Raise JournalError unless ``seqs`` are ``next_seq, next_seq+1, ...`` (checked at append)."""
    gap = first_seq_gap(seqs, next_seq)
    if gap >= 0:
        raise JournalError(
            f"journal records must carry contiguous seqs: expected seq {next_seq + gap} "
            f"at index {gap}, found {int(seqs[gap])}"
        )


def first_seq_gap(seqs: np.ndarray, first_seq: int) -> int:
    """Return the index of the first record whose seq breaks ``first_seq, first_seq+1, ...``, or -1."""
    expected = np.arange(first_seq, first_seq + seqs.shape[0], dtype=np.int64)
    is_gap = seqs != expected
    return int(np.argmax(is_gap)) if bool(is_gap.any()) else -1
