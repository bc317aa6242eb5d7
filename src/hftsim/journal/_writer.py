"""Append command records to a segmented journal with group commit. Hot path (one batch per commit).

A commit frames the whole batch with numpy (see :mod:`hftsim.journal._frame`), writes it with one
``os.write`` per segment it touches, then applies the fsync policy. Sequence numbers come from the
caller (the sequencer); the writer only checks that they continue without a gap.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from enum import Enum
from pathlib import Path

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, check_dtype
from hftsim.core.errors import ConfigError, JournalError
from hftsim.journal._format import (
    COMMAND_FRAME_BYTES,
    FORMAT_VERSION,
    HEADER_BYTES,
    SegmentHeader,
    encode_header,
    list_segments,
    segment_name,
)
from hftsim.journal._frame import check_seqs_continue, encode_command_frames
from hftsim.journal._lock import acquire_lock, release_lock
from hftsim.journal._reader import _read_segment

DEFAULT_SEGMENT_BYTES = 64 << 20
_U64_MAX = (1 << 64) - 1


class FsyncPolicy(Enum):
    """When committed records are forced to stable storage (what each risks: ``docs/journal.md``)."""

    EVERY_BATCH = "every_batch"
    INTERVAL_MS = "interval_ms"
    NEVER = "never"


class JournalWriter:
    """Append COMMAND_DTYPE records to the journal in ``directory``; one writer per directory.

    ``committed_seq`` is the last seq handed to the OS (survives a process crash); ``durable_seq``
    is the last seq fsynced (survives power loss). Reopening a directory that already holds a
    journal continues it in a new segment; a torn tail must be removed first with
    :meth:`JournalReader.recover_tail`.
    """

    def __init__(
        self,
        directory: str | os.PathLike[str],
        run_seed: int,
        fsync_policy: FsyncPolicy = FsyncPolicy.EVERY_BATCH,
        *,
        fsync_interval_ms: float = 5.0,
        segment_bytes: int = DEFAULT_SEGMENT_BYTES,
        first_seq: int = 1,
        created_at_ns: int = 0,
        clock_ns: Callable[[], int] = time.monotonic_ns,
        fsync: Callable[[int], None] = os.fsync,
    ) -> None:
        """Open (or continue) a journal.

        Args:
            directory: the journal directory; created if missing.
            run_seed: the run's seed (u64), written into every segment header.
            fsync_policy: when to fsync (see :class:`FsyncPolicy`).
            fsync_interval_ms: for INTERVAL_MS, the least time between two fsyncs.
            segment_bytes: roll over to a new segment before a segment grows past this.
            first_seq: the seq of the first record of a new journal (ignored when continuing one).
            created_at_ns: the caller's timestamp for the run, written into every header this
                writer creates; the journal never reads the wall clock for it, so equal runs
                write equal bytes.
            clock_ns: monotonic time in ns, read only to decide INTERVAL_MS fsyncs.
            fsync: the function that forces a file descriptor to disk (injectable for tests).

        Raises:
            ConfigError: a parameter is out of range (the message names it).
            JournalError: another writer holds the directory, the existing journal has another
                run seed or a torn tail, or the OS refused a file operation.
        """
        _check_config(run_seed, fsync_policy, fsync_interval_ms, segment_bytes, first_seq)
        self._dir = Path(directory)
        self._run_seed = int(run_seed)
        self._policy = fsync_policy
        self._interval_ns = int(fsync_interval_ms * 1_000_000)
        self._segment_bytes = int(segment_bytes)
        self._created_at_ns = int(created_at_ns)
        self._clock_ns = clock_ns
        self._fsync = fsync
        self._pending: list[np.ndarray] = []
        self._fd = -1
        self._failure: JournalError | None = None
        self._is_closed = False
        self._dir.mkdir(parents=True, exist_ok=True)
        self._lock_fd = acquire_lock(self._dir)
        try:
            last_index, next_seq = self._resume_point(int(first_seq))
            self._next_seq = self._staged_next_seq = next_seq
            self._committed_seq = self._durable_seq = next_seq - 1
            self._is_unsynced = False
            self._last_fsync_ns = clock_ns()
            self._open_segment(last_index + 1)
        except BaseException:
            self._release()
            raise

    # -- public API ------------------------------------------------------------------------

    @property
    def directory(self) -> Path:
        """The journal directory."""
        return self._dir

    @property
    def run_seed(self) -> int:
        """The run seed written into every header."""
        return self._run_seed

    @property
    def fsync_policy(self) -> FsyncPolicy:
        """The fsync policy."""
        return self._policy

    @property
    def fsync_interval_ms(self) -> float:
        """The least time between two fsyncs under INTERVAL_MS."""
        return self._interval_ns / 1_000_000

    @property
    def next_seq(self) -> int:
        """The seq the next appended record must carry."""
        return self._staged_next_seq

    @property
    def committed_seq(self) -> int:
        """The last seq written to the OS (``first_seq - 1`` before any)."""
        return self._committed_seq

    @property
    def durable_seq(self) -> int:
        """The last seq known to be on stable storage."""
        return self._durable_seq

    @property
    def segment_index(self) -> int:
        """The index of the segment being written."""
        return self._segment_index

    def append(self, record: np.ndarray | np.void) -> int:
        """Stage records (one record, or an array) for the next commit; nothing is written yet.

        Returns:
            The seq of the last staged record.

        Raises:
            ConfigError: not COMMAND_DTYPE records.
            JournalError: the seqs do not continue from :attr:`next_seq`, or the writer failed.
        """
        records = np.array(record, copy=True)  # the caller may reuse its buffer before the commit
        if records.ndim == 0:
            records = records.reshape(1)
        self._stage(records)
        return self._staged_next_seq - 1

    def append_batch(self, records: np.ndarray) -> int:
        """Commit the staged records plus ``records`` as one group commit.

        Args:
            records: 1-D COMMAND_DTYPE array whose seqs continue from :attr:`next_seq`.

        Returns:
            The last committed seq.

        Raises:
            ConfigError: not a COMMAND_DTYPE array.
            JournalError: a seq gap, a failed write or fsync, or a closed writer.
        """
        self._stage(records)
        return self.flush()

    def flush(self) -> int:
        """Write the staged records in one commit, then fsync as the policy says.

        Returns:
            The last committed seq.
        """
        self._check_usable()
        if self._pending:
            batch = np.concatenate(self._pending, dtype=COMMAND_DTYPE)
            self._pending = []
            self._write_batch(batch)
        if self._policy is FsyncPolicy.EVERY_BATCH:
            self._sync_now()
        elif self._policy is FsyncPolicy.INTERVAL_MS:
            self.sync_if_due()
        return self._committed_seq

    def sync(self) -> int:
        """Commit staged records and fsync now, whatever the policy.

        Returns:
            The last durable seq.
        """
        self.flush()
        self._sync_now()
        return self._durable_seq

    def sync_if_due(self) -> bool:
        """Fsync committed records if the INTERVAL_MS policy's interval has passed.

        Returns:
            True if this call fsynced.
        """
        self._check_usable()
        if self._policy is not FsyncPolicy.INTERVAL_MS or not self._is_unsynced:
            return False
        if self._clock_ns() - self._last_fsync_ns < self._interval_ns:
            return False
        self._sync_now()
        return True

    def close(self) -> None:
        """Commit staged records, fsync unless the policy is NEVER, and release the directory."""
        if self._is_closed:
            return
        try:
            if self._failure is None:
                self.flush()
                if self._policy is not FsyncPolicy.NEVER:
                    self._sync_now()
        finally:
            self._release()

    def __enter__(self) -> JournalWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    # -- internals -------------------------------------------------------------------------

    def _stage(self, records: np.ndarray) -> None:
        self._check_usable()
        check_dtype(records, COMMAND_DTYPE, "journal records")
        if not records.shape[0]:
            return
        check_seqs_continue(records["seq"], self._staged_next_seq)
        self._pending.append(records)
        self._staged_next_seq += records.shape[0]

    def _write_batch(self, batch: np.ndarray) -> None:
        frames = encode_command_frames(batch)
        buffer = memoryview(frames.view(np.uint8))
        first_seq = int(batch["seq"][0])
        start = 0
        while start < frames.shape[0]:
            room = (self._segment_bytes - self._segment_size) // COMMAND_FRAME_BYTES
            if room == 0:
                self._roll_over()
                continue
            stop = min(frames.shape[0], start + room)
            self._write_all(buffer[start * COMMAND_FRAME_BYTES : stop * COMMAND_FRAME_BYTES])
            self._segment_size += (stop - start) * COMMAND_FRAME_BYTES
            self._next_seq = first_seq + stop
            self._committed_seq = self._next_seq - 1
            self._is_unsynced = True
            start = stop

    def _write_all(self, data: memoryview) -> None:
        try:
            while data:
                written = os.write(self._fd, data)
                data = data[written:]
        except OSError as e:
            self._failure = JournalError(f"{self._segment_path}: write failed: {e}; the writer is stopped")
            raise self._failure from e

    def _sync_now(self) -> None:
        if not self._is_unsynced:
            return
        try:
            self._fsync(self._fd)
        except OSError as e:
            # After a failed fsync the kernel may have dropped the dirty pages, so a retry could
            # "succeed" without the data (PostgreSQL's fsyncgate, 2018): stop for good.
            self._failure = JournalError(f"{self._segment_path}: fsync failed: {e}; the writer is stopped")
            raise self._failure from e
        self._last_fsync_ns = self._clock_ns()
        self._durable_seq = self._committed_seq
        self._is_unsynced = False

    def _roll_over(self) -> None:
        # The old segment must reach the disk before the new one can, or a power loss could keep a
        # later segment and lose an earlier tail: a hole in the middle of the journal.
        if self._policy is not FsyncPolicy.NEVER:
            self._sync_now()
        os.close(self._fd)
        self._fd = -1
        self._open_segment(self._segment_index + 1)

    def _open_segment(self, index: int) -> None:
        path = self._dir / segment_name(index)
        header = SegmentHeader(
            format_version=FORMAT_VERSION,
            run_seed=self._run_seed,
            segment_index=index,
            first_seq=self._next_seq,
            created_at_ns=self._created_at_ns,
        )
        try:
            self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o644)
        except FileExistsError as e:
            raise JournalError(f"{path} already exists; a writer must never overwrite a segment") from e
        self._segment_index = index
        self._segment_path = path
        self._segment_size = 0
        self._write_all(memoryview(encode_header(header)))
        self._segment_size = HEADER_BYTES
        if self._policy is not FsyncPolicy.NEVER:
            self._fsync_directory()

    def _fsync_directory(self) -> None:
        fd = os.open(self._dir, os.O_RDONLY)
        try:
            self._fsync(fd)
        except OSError as e:
            self._failure = JournalError(f"{self._dir}: directory fsync failed: {e}; the writer is stopped")
            raise self._failure from e
        finally:
            os.close(fd)

    def _resume_point(self, first_seq: int) -> tuple[int, int]:
        listed = list_segments(self._dir)
        if not listed:
            return 0, first_seq
        last_index, last_path = listed[-1]
        segment = _read_segment(last_path, is_last=True)
        if segment.error is not None:
            raise segment.error
        if segment.tail is not None:
            raise JournalError(
                f"{self._dir}: the journal has a torn tail ({segment.tail.reason}); call "
                "JournalReader(directory).recover_tail() before appending"
            )
        assert segment.header is not None
        if segment.header.run_seed != self._run_seed:
            raise JournalError(
                f"{self._dir}: holds the journal of run seed {segment.header.run_seed}, "
                f"not {self._run_seed}; use a new directory for a new run"
            )
        return last_index, segment.header.first_seq + segment.records.shape[0]

    def _check_usable(self) -> None:
        if self._failure is not None:
            raise JournalError(f"the journal writer stopped after an earlier failure: {self._failure}")
        if self._is_closed:
            raise JournalError(f"the journal writer of {self._dir} is closed")

    def _release(self) -> None:
        self._is_closed = True
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
        release_lock(self._lock_fd)


def _check_config(
    run_seed: int, policy: FsyncPolicy, interval_ms: float, segment_bytes: int, first_seq: int
) -> None:
    if not 0 <= int(run_seed) <= _U64_MAX:
        raise ConfigError(f"journal.run_seed: expected an integer in [0, 2**64), got {run_seed}")
    if not isinstance(policy, FsyncPolicy):
        raise ConfigError(f"journal.fsync_policy: expected a FsyncPolicy, got {policy!r}")
    if policy is FsyncPolicy.INTERVAL_MS and not interval_ms > 0:
        raise ConfigError(f"journal.fsync_interval_ms: expected > 0, got {interval_ms}")
    if segment_bytes < HEADER_BYTES + COMMAND_FRAME_BYTES:
        raise ConfigError(
            f"journal.segment_bytes: expected at least {HEADER_BYTES + COMMAND_FRAME_BYTES} "
            f"(a header and one record), got {segment_bytes}"
        )
    if first_seq < 0:
        raise ConfigError(f"journal.first_seq: expected >= 0, got {first_seq}")
