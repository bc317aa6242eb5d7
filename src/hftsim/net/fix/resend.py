"""The messages a FIX session sent, kept for ResendRequest off the Python heap. Edge (file I/O).

A venue answers a ResendRequest with the original application messages (PROTOCOLS 2.1.5), so each
session keeps what it sent, at least its last ``max_stored`` messages. As a dict of ``bytes`` that cost about
380 bytes of memory per ExecutionReport (the bytes object, its int key and the dict slot): 38 MB
per 100,000 reports, most of a venue's memory growth under load. :class:`ResendStore` keeps the
bytes in an anonymous temporary file (unlinked when created: nothing is left on disk after the
process) and an index of 12 bytes per message in memory; the newest 32 KB stay in a buffer, so a
short session never touches the disk and a resend of recent messages never reads it. The newest
messages are indexed and buffered 64 at a time and written 32 KB at a time: each step then costs tens
of µs, not hundreds. With 512 messages and 128 KB, indexing took about 90 µs and the write 90-130 µs,
every 50-100 ms at 10k msgs/s, and the order being answered then waited for both. Like FIX
engines' file stores, the file holds the session's history. Offsets are positions in one stream of
everything written; the stream lives in two files at most. When the newer file passes twice the
size of the live messages (and 64 MB), the older one, whose messages have all been evicted by then
(the oldest go first), is closed and a new file takes the writes: nothing is copied. Rewriting the
live messages into a new file, which stalled the venue for 0.3 s per 200,000 messages held, is
only the fallback when the older file still holds a message (a rewound or popped store). A
thread closes the older file: freeing its pages takes about 9 ms per 100 MB.

It behaves as a mapping from MsgSeqNum to the message bytes (``store[seq] = raw``, ``get``, ``pop``,
``in``, ``len``, iteration in sequence order, ``items``, ``values``, ``clear``).
"""

from __future__ import annotations

import os
import tempfile
import threading
from array import array
from collections.abc import Iterator
from itertools import accumulate

import numpy as np

__all__ = ["ResendStore"]

_BUFFER_BYTES = 32 << 10  # kept in memory before a write to the file
_COMPACT_MIN_BYTES = 64 << 20  # the newer file is never rotated below this size
_ABSENT = -1
_EVICT_BLOCK = 4096  # beyond max_stored + this, the oldest go in one pass (amortised, not one per store)
_TAIL = 64  # the newest messages wait in a list and are indexed this many at a time


class ResendStore:
    """Sent messages by MsgSeqNum, oldest evicted beyond ``max_stored`` (module docstring).

    Args:
        max_stored: messages kept at least; past ``max_stored`` + 4,096 the oldest are forgotten
            down to ``max_stored`` in one pass.
    """

    __slots__ = ("max_stored", "_first", "_start", "_offsets", "_lengths", "_count", "_live_bytes",
                 "_buffer", "_file", "_file_base", "_file_size", "_old_file", "_old_base", "_tail",
                 "_tail_first")  # fmt: skip

    def __init__(self, max_stored: int = 200_000) -> None:
        self.max_stored = max_stored
        self._first = 0  # MsgSeqNum of index slot 0
        self._start = 0  # slots before this one are evicted (compacted away now and then)
        self._offsets = array("q")  # offset in the stream (old file, file, buffer), or _ABSENT
        self._lengths = array("I")
        self._count = 0
        self._live_bytes = 0
        self._buffer = bytearray()  # the stream from offset _file_size on
        self._file = None  # the stream from _file_base to _file_size; opened when the buffer first fills
        self._file_base = 0
        self._file_size = 0
        self._old_file = None  # the stream from _old_base to _file_base, until its messages are evicted
        self._old_base = 0
        # the newest messages, consecutive from _tail_first, right after the indexed ones: storing
        # the next number is a list append (the venue's hot path), indexing is done in bulk
        self._tail: list[bytes] = []
        self._tail_first = 0

    # ------------------------------------------------------------ mapping

    def __setitem__(self, seq: int, raw: bytes) -> None:
        tail = self._tail
        if tail:
            if seq == self._tail_first + len(tail):  # the next number: the hot path
                tail.append(raw)
                if len(tail) >= _TAIL:
                    self._seal()
                return
            self._seal()
        n = len(self._offsets)
        if n == self._start or seq == self._first + n:  # starts a tail after the indexed ones
            self._tail_first = seq
            tail.append(raw)
            return
        self._put(seq, raw)

    def _seal(self, evict: bool = True) -> None:
        """Index the tail: its bytes to the buffer, its offsets and lengths to the arrays."""
        tail = self._tail
        offsets, lengths = self._offsets, self._lengths
        if len(offsets) == self._start:  # nothing indexed: the tail starts the index
            self._first, self._start = self._tail_first, 0
            del offsets[:], lengths[:]
        sizes = [len(raw) for raw in tail]
        base = self._file_size + len(self._buffer)
        offsets.extend(accumulate(sizes[:-1], initial=base))
        lengths.extend(sizes)
        self._buffer += b"".join(tail)
        self._count += len(sizes)
        self._live_bytes += sum(sizes)
        tail.clear()
        if len(self._buffer) >= _BUFFER_BYTES:
            self._spill()
        if evict and self._count > self.max_stored + _EVICT_BLOCK:
            self._evict_to(self.max_stored)

    def _put(self, seq: int, raw: bytes) -> None:
        """:meth:`__setitem__` of a number that is not the next one (a gap, a rewrite, a rewind)."""
        offsets = self._offsets
        if not len(offsets) - self._start:
            self._first, self._start = seq, 0
            del offsets[:], self._lengths[:]
        i = seq - self._first
        if i < self._start:  # older than everything held (a replay rewinding)
            if i < 0:  # make room in front
                offsets[0:0] = array("q", [_ABSENT]) * -i
                self._lengths[0:0] = array("I", [0]) * -i
                self._start -= i
                self._first += i
                i = 0
            for j in range(i, self._start):  # evicted slots keep stale offsets: forget them for good
                offsets[j] = _ABSENT
            self._start = i  # its slot is the first one held
        if i >= len(offsets):
            gap = i - len(offsets) + 1
            offsets.extend(array("q", [_ABSENT]) * gap)
            self._lengths.extend(array("I", [0]) * gap)
        if offsets[i] == _ABSENT:
            self._count += 1
        else:
            self._live_bytes -= self._lengths[i]
        offsets[i] = self._file_size + len(self._buffer)
        self._lengths[i] = len(raw)
        self._live_bytes += len(raw)
        self._buffer += raw
        if len(self._buffer) >= _BUFFER_BYTES:
            self._spill()
        if self._count > self.max_stored + _EVICT_BLOCK:
            self._evict_to(self.max_stored)

    def get(self, seq: int, default: bytes | None = None) -> bytes | None:
        """Return message ``seq``, or ``default`` when it is not held."""
        t = seq - self._tail_first
        if 0 <= t < len(self._tail):
            return self._tail[t]
        i = seq - self._first
        if not self._start <= i < len(self._offsets):
            return default
        offset = self._offsets[i]
        if offset == _ABSENT:
            return default
        length = self._lengths[i]
        at = offset - self._file_size
        if at >= 0:
            return bytes(self._buffer[at : at + length])
        if offset >= self._file_base:
            return os.pread(self._file.fileno(), length, offset - self._file_base)
        return os.pread(self._old_file.fileno(), length, offset - self._old_base)

    def __getitem__(self, seq: int) -> bytes:
        raw = self.get(seq)
        if raw is None:
            raise KeyError(seq)
        return raw

    def __contains__(self, seq: object) -> bool:
        return isinstance(seq, int) and self.get(seq) is not None

    def pop(self, seq: int, default: bytes | None = None) -> bytes | None:
        """Remove and return message ``seq`` (``default`` when it is not held)."""
        if self._tail:
            self._seal(evict=False)  # a pop forgets exactly one message
        raw = self.get(seq)
        if raw is None:
            return default
        i = seq - self._first
        self._offsets[i] = _ABSENT
        self._count -= 1
        self._live_bytes -= self._lengths[i]
        return raw

    def __len__(self) -> int:
        return self._count + len(self._tail)

    def __iter__(self) -> Iterator[int]:
        first, offsets = self._first, self._offsets
        held = [first + i for i in range(self._start, len(offsets)) if offsets[i] != _ABSENT]
        return iter(held + list(range(self._tail_first, self._tail_first + len(self._tail))))

    def values(self) -> Iterator[bytes]:
        """The messages held, in sequence order."""
        return (self[seq] for seq in list(self))

    def items(self) -> Iterator[tuple[int, bytes]]:
        """(MsgSeqNum, message) pairs, in sequence order."""
        return ((seq, self[seq]) for seq in list(self))

    def clear(self) -> None:
        """Forget every message (a sequence reset); the file is truncated."""
        self._first = self._start = self._count = self._live_bytes = 0
        del self._offsets[:], self._lengths[:], self._buffer[:]
        self._tail.clear()
        if self._file is not None:
            self._file.truncate(0)
        self._file_base = self._file_size = 0
        self._close_old()

    @property
    def file_bytes(self) -> int:
        """Bytes in the files (their size on disk); the newest messages are in memory."""
        return self._file_size - self._old_base

    # ------------------------------------------------------------ internals

    def _spill(self) -> None:
        if self._file is None:
            self._file = tempfile.TemporaryFile(prefix="hftsim-resend-")
        os.pwrite(self._file.fileno(), self._buffer, self._file_size - self._file_base)
        self._file_size += len(self._buffer)
        del self._buffer[:]
        if self._file_size - self._file_base > max(_COMPACT_MIN_BYTES, 2 * self._live_bytes):
            self._rotate()

    def _rotate(self) -> None:
        """Start a new file for the writes; the old one goes once no held message is in it."""
        if self._old_file is not None:
            held = np.frombuffer(self._offsets, dtype=np.int64)[self._start :]
            is_old_held = bool(np.any((held >= 0) & (held < self._file_base)))
            del held  # the view pins the array's size
            if is_old_held:
                self._compact()  # a message older than the whole newer file is still held (rare)
                return
            self._close_old()
        self._old_file, self._old_base = self._file, self._file_base
        self._file = tempfile.TemporaryFile(prefix="hftsim-resend-")
        self._file_base = self._file_size

    def _close_old(self) -> None:
        old = self._old_file
        if old is not None:
            self._old_file = None
            # closing frees the file's pages, about 9 ms per 100 MB: not on the venue's loop
            threading.Thread(target=old.close, name="resend-store-close", daemon=True).start()
        self._old_base = self._file_base

    def _evict_to(self, keep: int) -> None:
        """Forget the oldest messages until ``keep`` are held."""
        offsets, lengths, i = self._offsets, self._lengths, self._start
        k = self._count - keep
        if k > 0 and offsets[i : i + k].count(_ABSENT) == 0:  # no gap among them: one slice, in C
            self._count = keep
            self._live_bytes -= sum(lengths[i : i + k])
            i += k  # slots before _start are not read again
        while self._count > keep:
            if offsets[i] != _ABSENT:
                offsets[i] = _ABSENT
                self._count -= 1
                self._live_bytes -= lengths[i]
            i += 1
        self._start = i
        if self._start > 4096 and self._start * 2 > len(offsets):  # drop evicted slots, amortised
            del offsets[: self._start], lengths[: self._start]
            self._first += self._start
            self._start = 0

    def _compact(self) -> None:
        """Rewrite the file with only the live messages (called after a spill, the buffer empty)."""
        held = [(seq, self[seq]) for seq in list(self)]
        self._file.truncate(0)
        self._file_base = self._file_size = 0
        self._close_old()
        self._count = self._live_bytes = 0
        first = self._first + self._start
        self._first, self._start = first, 0
        del self._offsets[:], self._lengths[:]
        for seq, raw in held:
            self[seq] = raw
