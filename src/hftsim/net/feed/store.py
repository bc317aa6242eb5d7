"""The retransmit store: every message of the session by sequence number, in bounded memory. Hot path.

Messages are appended to fixed-size segments (one ``bytearray`` of payloads and one ``array('Q')`` of
end offsets per segment). When the store holds more than ``max_messages`` or ``max_bytes`` the
oldest whole segment is dropped, so a request for very old messages finds nothing and the listener
falls back to a snapshot.
"""

from __future__ import annotations

from array import array
from collections import deque
from collections.abc import Sequence
from itertools import accumulate

__all__ = ["RetransmitStore"]


class _Segment:
    __slots__ = ("first_seq", "data", "ends")

    def __init__(self, first_seq: int) -> None:
        self.first_seq = first_seq
        self.data = bytearray()
        self.ends = array("Q")


class RetransmitStore:
    """Keep messages from sequence number ``first_sequence_number`` on.

    Args:
        max_messages: keep at least the latest this many messages (up to one segment more).
        max_bytes: and at most about this many payload bytes.
        segment_messages: messages per segment (the unit of eviction).
        first_sequence_number: number of the first message appended.
    """

    def __init__(
        self,
        max_messages: int = 1 << 22,
        max_bytes: int = 256 << 20,
        segment_messages: int = 1 << 14,
        first_sequence_number: int = 1,
    ) -> None:
        if max_messages < segment_messages or segment_messages < 1:
            raise ValueError(
                f"need max_messages ({max_messages}) >= segment_messages ({segment_messages}) >= 1"
            )
        self._max_messages = max_messages
        self._max_bytes = max_bytes
        self._segment_messages = segment_messages
        self._segments: deque[_Segment] = deque([_Segment(first_sequence_number)])
        self._next_seq = first_sequence_number
        self._bytes = 0
        self.evicted_messages = 0

    @property
    def first_sequence_number(self) -> int:
        """Return the oldest sequence number still held."""
        return self._segments[0].first_seq

    @property
    def next_sequence_number(self) -> int:
        """Return the number the next appended message will get."""
        return self._next_seq

    @property
    def nbytes(self) -> int:
        """Return the payload bytes held."""
        return self._bytes

    def append(self, message: bytes) -> int:
        """Store ``message`` and return its sequence number."""
        seg = self._segments[-1]
        if len(seg.ends) >= self._segment_messages:
            seg = _Segment(self._next_seq)
            self._segments.append(seg)
            self._evict()
        seg.data += message
        seg.ends.append(len(seg.data))
        self._bytes += len(message)
        seq = self._next_seq
        self._next_seq += 1
        return seq

    def extend(self, messages: Sequence[bytes]) -> None:
        """:meth:`append` every message in order (hot path: one copy per segment, not per message)."""
        i, n = 0, len(messages)
        while i < n:
            seg = self._segments[-1]
            room = self._segment_messages - len(seg.ends)
            if room <= 0:
                self._segments.append(_Segment(self._next_seq))
                self._evict()
                continue
            part = messages[i : i + room]
            data = seg.data
            start = len(data)
            data += b"".join(part)
            ends = accumulate(map(len, part), initial=start)
            next(ends)  # the initial value is the previous end, not a new one
            seg.ends.extend(ends)
            self._bytes += len(data) - start
            self._next_seq += len(part)
            i += len(part)

    def _evict(self) -> None:
        held = self._next_seq - self._segments[0].first_seq
        while len(self._segments) > 1 and (held > self._max_messages or self._bytes > self._max_bytes):
            old = self._segments.popleft()
            n = len(old.ends)
            held -= n
            self._bytes -= len(old.data)
            self.evicted_messages += n

    def get(self, sequence_number: int, count: int) -> list[bytes]:
        """Return up to ``count`` messages from ``sequence_number`` on (fewer at the ends of the store)."""
        out: list[bytes] = []
        seq = max(sequence_number, self.first_sequence_number)
        if sequence_number < seq:
            return out  # the start is gone: the caller must not get a silently shifted range
        stop = min(sequence_number + count, self._next_seq)
        for seg in self._segments:
            seg_stop = seg.first_seq + len(seg.ends)
            if seq >= seg_stop:
                continue
            ends, data = seg.ends, seg.data
            while seq < stop and seq < seg_stop:
                i = seq - seg.first_seq
                out.append(bytes(data[ends[i - 1] if i else 0 : ends[i]]))
                seq += 1
            if seq >= stop:
                break
        return out
