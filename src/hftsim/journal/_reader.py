"""Read a journal back in sequence order, checking every byte. Cold path (bulk, numpy).

Each segment is read whole and checked in bulk: header magic, version and CRC, then every frame's
length, type and CRC in one kernel call, then sequence contiguity in one vectorised comparison.
Nothing is skipped: the first bad byte ends the read with an error that names the file and offset,
after every valid record before it has been yielded.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Iterator
from pathlib import Path

import msgspec
import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.errors import JournalCorrupt, JournalError
from hftsim.journal._format import (
    COMMAND_FRAME_BYTES,
    HEADER_BYTES,
    SegmentHeader,
    decode_header,
    list_segments,
)
from hftsim.journal._frame import count_valid_frames, describe_bad_frame, first_seq_gap
from hftsim.journal._lock import acquire_lock, release_lock


class TailReport(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    """A torn write at the end of the last segment, as found by :meth:`JournalReader.tail`.

    Attributes:
        path: the last segment file.
        good_bytes: length of the file's valid prefix (0 when even the header is torn).
        torn_bytes: bytes after the valid prefix, which :meth:`JournalReader.recover_tail` removes.
        reason: what was found, with the byte offset.
    """

    path: str
    good_bytes: int
    torn_bytes: int
    reason: str


class _Segment(msgspec.Struct, frozen=True, kw_only=True, gc=False):
    header: SegmentHeader | None  # None when the header itself is torn
    records: np.ndarray
    tail: TailReport | None
    error: JournalError | None


def _read_segment(path: Path, *, is_last: bool) -> _Segment:
    data = np.fromfile(path, dtype=np.uint8)
    empty = np.empty(0, dtype=COMMAND_DTYPE)
    if data.shape[0] < HEADER_BYTES or not data[:HEADER_BYTES].any():
        reason = f"{path}: segment header is torn ({data.shape[0]} bytes, header is {HEADER_BYTES})"
        if not is_last:
            raise JournalCorrupt(reason + " in a segment that is not the last")
        tail = TailReport(path=str(path), good_bytes=0, torn_bytes=int(data.shape[0]), reason=reason)
        return _Segment(header=None, records=empty, tail=tail, error=None)
    header = decode_header(data[:HEADER_BYTES].tobytes(), path)
    body = data[HEADER_BYTES:]
    records, good = count_valid_frames(body)
    gap = first_seq_gap(records["seq"], header.first_seq)
    if gap >= 0:
        offset = HEADER_BYTES + gap * COMMAND_FRAME_BYTES
        error = JournalCorrupt(
            f"{path}: sequence gap at byte offset {offset}: expected seq "
            f"{header.first_seq + gap}, found {int(records['seq'][gap])}"
        )
        return _Segment(header=header, records=records[:gap], tail=None, error=error)
    if good * COMMAND_FRAME_BYTES == body.shape[0]:
        return _Segment(header=header, records=records, tail=None, error=None)
    could_be_torn, reason = describe_bad_frame(body, good, path)
    if could_be_torn and is_last:
        good_bytes = HEADER_BYTES + good * COMMAND_FRAME_BYTES
        tail = TailReport(
            path=str(path), good_bytes=good_bytes, torn_bytes=int(data.shape[0]) - good_bytes, reason=reason
        )
        return _Segment(header=header, records=records, tail=tail, error=None)
    return _Segment(header=header, records=records, tail=None, error=JournalCorrupt(reason))


class JournalReader:
    """Read the records of a journal directory in sequence order.

    Example::

        reader = JournalReader(run_dir / "journal")
        reader.recover_tail()          # after a crash: drop a torn last write
        for batch in reader:           # numpy arrays of COMMAND_DTYPE
            engine.apply_batch(batch)
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        """Open a journal directory for reading (segments are listed on each read).

        Raises:
            JournalError: the directory does not exist.
        """
        self._dir = Path(directory)
        list_segments(self._dir)

    @property
    def segments(self) -> list[Path]:
        """The segment files, in order."""
        return [path for _, path in list_segments(self._dir)]

    def headers(self) -> list[SegmentHeader]:
        """Decode and check the header of every segment (a torn last header is left out).

        Raises:
            JournalError: a header is not a journal header or has another format version.
            JournalCorrupt: a header fails its CRC.
        """
        headers = []
        listed = list_segments(self._dir)
        for number, (_, path) in enumerate(listed):
            with open(path, "rb") as f:
                data = f.read(HEADER_BYTES)
            if len(data) < HEADER_BYTES or not any(data):
                if number == len(listed) - 1:
                    continue
                raise JournalCorrupt(f"{path}: segment header is torn in a segment that is not the last")
            headers.append(decode_header(data, path))
        return headers

    def iter_batches(
        self, *, from_seq: int | None = None, max_records: int | None = None
    ) -> Iterator[np.ndarray]:
        """Yield the journal's records as COMMAND_DTYPE arrays, in sequence order.

        Args:
            from_seq: start at this sequence number (for replay from a checkpoint); the whole
                journal when None.
            max_records: split batches so none is longer than this; one batch per segment when None.

        Yields:
            Contiguous 1-D arrays of COMMAND_DTYPE.

        Raises:
            JournalError: a segment is of another format version or not a journal segment, or
                ``from_seq`` is before the first record the journal holds.
            JournalCorrupt: a CRC mismatch, a sequence gap, a missing segment, or a torn tail
                (call :meth:`recover_tail` first). Raised after every valid record before the
                damage has been yielded; the message names the file and byte offset.
        """
        listed = self._listed_from(from_seq)
        expected_seq: int | None = None
        previous: tuple[int, SegmentHeader] | None = None
        for number, (index, path) in enumerate(listed):
            segment = _read_segment(path, is_last=number == len(listed) - 1)
            if segment.header is not None:
                self._check_continuity(path, index, segment.header, previous, expected_seq)
                previous = (index, segment.header)
                expected_seq = segment.header.first_seq + segment.records.shape[0]
            yield from _chunks(segment.records, from_seq, max_records)
            if segment.error is not None:
                raise segment.error
            if segment.tail is not None:
                tail = segment.tail
                raise JournalCorrupt(
                    f"torn tail: {tail.reason}; {tail.torn_bytes} bytes after byte offset "
                    f"{tail.good_bytes}; call JournalReader.recover_tail() to truncate them"
                )

    def __iter__(self) -> Iterator[np.ndarray]:
        """Yield one COMMAND_DTYPE array per segment (see :meth:`iter_batches`)."""
        return self.iter_batches()

    def records(self) -> Iterator[np.void]:
        """Yield records one at a time (convenient, slow; prefer :meth:`iter_batches`)."""
        for batch in self.iter_batches():
            yield from batch

    def read_all(self) -> np.ndarray:
        """Return every record of the journal as one COMMAND_DTYPE array."""
        batches = list(self.iter_batches())
        return np.concatenate(batches, dtype=COMMAND_DTYPE) if batches else np.empty(0, dtype=COMMAND_DTYPE)

    def digest(self) -> str:
        """Return the SHA-256 of every record's payload bytes in order (for golden tests)."""
        sha = hashlib.sha256()
        for batch in self.iter_batches():
            sha.update(batch.tobytes())
        return sha.hexdigest()

    def tail(self) -> TailReport | None:
        """Report a torn write at the end of the last segment, or None if it ends cleanly.

        Raises:
            JournalCorrupt: the last segment is damaged before its tail.
        """
        listed = list_segments(self._dir)
        if not listed:
            return None
        segment = _read_segment(listed[-1][1], is_last=True)
        if segment.error is not None:
            raise segment.error
        return segment.tail

    def recover_tail(self) -> TailReport | None:
        """Truncate a torn last write so the journal ends at its last whole record.

        A segment whose header is torn is deleted. The truncation is fsynced. No writer may be
        open on the directory.

        Returns:
            What was removed, or None if the journal already ended cleanly.

        Raises:
            JournalError: a writer holds the directory.
            JournalCorrupt: the damage is not confined to the tail.
        """
        lock_fd = acquire_lock(self._dir)
        try:
            report = self.tail()
            if report is None:
                return None
            if report.good_bytes == 0:
                os.unlink(report.path)
            else:
                fd = os.open(report.path, os.O_WRONLY)
                try:
                    os.ftruncate(fd, report.good_bytes)
                    os.fsync(fd)
                finally:
                    os.close(fd)
            _fsync_directory(self._dir)
            return report
        finally:
            release_lock(lock_fd)

    def _listed_from(self, from_seq: int | None) -> list[tuple[int, Path]]:
        listed = list_segments(self._dir)
        if from_seq is None or not listed:
            return listed
        headers = self.headers()
        if from_seq < headers[0].first_seq:
            raise JournalError(
                f"{self._dir}: replay from seq {from_seq} requested, but the journal starts "
                f"at seq {headers[0].first_seq}"
            )
        start = 0
        for number in range(1, len(headers)):
            if headers[number].first_seq <= from_seq:
                start = number
        return listed[start:]

    @staticmethod
    def _check_continuity(
        path: Path,
        index: int,
        header: SegmentHeader,
        previous: tuple[int, SegmentHeader] | None,
        expected_seq: int | None,
    ) -> None:
        if header.segment_index != index:
            raise JournalCorrupt(
                f"{path}: header says segment {header.segment_index}, the file name says {index}"
            )
        if previous is None:
            return
        previous_index, previous_header = previous
        if header.run_seed != previous_header.run_seed:
            raise JournalCorrupt(
                f"{path}: run seed {header.run_seed} differs from "
                f"{previous_header.run_seed} of the segment before; two runs' journals are "
                "mixed in one directory"
            )
        if index != previous_index + 1:
            raise JournalCorrupt(
                f"{path}: segment {index} follows segment {previous_index}; "
                f"segments {previous_index + 1}..{index - 1} are missing"
            )
        if header.first_seq != expected_seq:
            raise JournalCorrupt(
                f"{path}: sequence gap at byte offset 32 (header first_seq): expected seq "
                f"{expected_seq}, found {header.first_seq}"
            )


def _chunks(records: np.ndarray, from_seq: int | None, max_records: int | None) -> Iterator[np.ndarray]:
    if from_seq is not None and records.shape[0]:
        records = records[max(0, from_seq - int(records["seq"][0])) :]
    if not records.shape[0]:
        return
    if max_records is None:
        yield records
        return
    for start in range(0, records.shape[0], max_records):
        yield records[start : start + max_records]


def _fsync_directory(directory: Path, fsync=os.fsync) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        fsync(fd)
    finally:
        os.close(fd)
