"""Test support of the journal tests: command batches, a recording fsync, a fake clock, byte patching."""

from __future__ import annotations

import os
import stat
import struct
import threading
import zlib

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE


def make_commands(count: int, first_seq: int = 1) -> np.ndarray:
    """Return ``count`` distinct command records with seqs ``first_seq, first_seq+1, ...``."""
    records = np.zeros(count, dtype=COMMAND_DTYPE)
    seqs = np.arange(first_seq, first_seq + count, dtype=np.int64)
    records["seq"] = seqs
    records["ts_event"] = seqs * 1_000 + 17
    records["order_id"] = seqs * 3
    records["client_order_id"] = seqs * 7
    records["price_ticks"] = 10_000 + seqs % 50
    records["qty"] = 1 + seqs % 9
    records["owner_id"] = seqs % 4
    records["symbol_id"] = seqs % 3
    records["kind"] = 1 + seqs % 3
    records["side"] = np.where(seqs % 2 == 0, 1, -1)
    return records


class FsyncRecorder:
    """An fsync that forwards to os.fsync and records whether each descriptor was a file or a directory."""

    def __init__(self) -> None:
        self.calls: list[str] = []
        self.lock = threading.Lock()

    def __call__(self, fd: int) -> None:
        kind = "dir" if stat.S_ISDIR(os.fstat(fd).st_mode) else "file"
        os.fsync(fd)
        with self.lock:
            self.calls.append(kind)

    @property
    def file_count(self) -> int:
        with self.lock:
            return self.calls.count("file")

    @property
    def dir_count(self) -> int:
        with self.lock:
            return self.calls.count("dir")


class FakeClock:
    """Monotonic ns that move only when the test says."""

    def __init__(self, now_ns: int = 0) -> None:
        self.now_ns = now_ns

    def __call__(self) -> int:
        return self.now_ns

    def advance_ms(self, ms: float) -> None:
        self.now_ns += int(ms * 1_000_000)


HEADER_BYTES = 64
FRAME_BYTES = 76


def frame_offset(index: int) -> int:
    """Return the byte offset of the ``index``-th frame of a segment."""
    return HEADER_BYTES + index * FRAME_BYTES


def rewrite_frame_seq(path, index: int, seq: int) -> None:
    """Give frame ``index`` another seq and a matching CRC, so only the sequence check can see it."""
    data = bytearray(path.read_bytes())
    start = frame_offset(index)
    data[start + 8:start + 16] = struct.pack("<q", seq)
    data[start + 72:start + 76] = struct.pack("<I", zlib.crc32(bytes(data[start:start + 72])))
    path.write_bytes(bytes(data))


def rewrite_header_field(path, offset: int, fmt: str, value: int) -> None:
    """Change one header field and recompute the header CRC, so the header still passes its CRC."""
    data = bytearray(path.read_bytes())
    struct.pack_into(fmt, data, offset, value)
    struct.pack_into("<I", data, 60, zlib.crc32(bytes(data[:60])))
    path.write_bytes(bytes(data))


def flip_byte(path, offset: int) -> None:
    """Invert every bit of one byte of a file."""
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))
