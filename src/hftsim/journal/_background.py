"""A journal writer on its own thread, for the live venue. Cold path (the thread batches the hot path).

The gateway thread submits batches into a bounded queue and waits until its records are durable
before it acknowledges the orders. The writer thread takes everything queued while its previous
fsync ran and commits it as one batch, so the fsync cost is shared by every order that arrived
meanwhile (group commit, as in database write-ahead logs).
"""

from __future__ import annotations

import queue
import threading
import time

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, check_dtype
from hftsim.core.errors import JournalError
from hftsim.journal._frame import check_seqs_continue
from hftsim.journal._writer import FsyncPolicy, JournalWriter

_STOP = None


class BackgroundJournalWriter:
    """Run a :class:`JournalWriter` on a thread behind a bounded queue.

    The writer is owned by the thread from construction on: do not call it directly any more.
    Under FsyncPolicy.NEVER records become durable only at :meth:`close`.
    """

    def __init__(
        self, writer: JournalWriter, *, max_pending_batches: int = 1024, submit_timeout_s: float = 1.0
    ) -> None:
        """Start the writer thread.

        Args:
            writer: an open writer; the thread owns it from now on.
            max_pending_batches: capacity of the queue between the caller and the thread.
            submit_timeout_s: how long :meth:`submit` waits for room in a full queue.
        """
        self._writer = writer
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(maxsize=max_pending_batches)
        self._submit_timeout_s = submit_timeout_s
        self._next_seq = writer.next_seq
        self._condition = threading.Condition()
        self._committed_seq = writer.committed_seq
        self._durable_seq = writer.durable_seq
        self._failure: BaseException | None = None
        self._is_closed = False
        is_interval = writer.fsync_policy is FsyncPolicy.INTERVAL_MS
        self._idle_timeout_s = writer.fsync_interval_ms / 1000 if is_interval else None
        self._thread = threading.Thread(
            target=self._run, name=f"journal-writer:{writer.directory}", daemon=True
        )
        self._thread.start()

    @property
    def committed_seq(self) -> int:
        """The last seq the thread has written to the OS."""
        with self._condition:
            return self._committed_seq

    @property
    def durable_seq(self) -> int:
        """The last seq the thread has fsynced."""
        with self._condition:
            return self._durable_seq

    @property
    def backlog(self) -> int:
        """Batches waiting in the queue (a gauge for monitoring)."""
        return self._queue.qsize()

    def submit(self, records: np.ndarray) -> int:
        """Queue a batch (copied) for the writer thread.

        Args:
            records: 1-D COMMAND_DTYPE array whose seqs continue the journal.

        Returns:
            The seq of the batch's last record: pass it to :meth:`wait_durable`.

        Raises:
            ConfigError: not a COMMAND_DTYPE array.
            JournalError: a seq gap, the writer thread failed or is closed, or the queue stayed
                full for ``submit_timeout_s`` (the disk is not keeping up).
        """
        self._raise_if_failed()
        if self._is_closed:
            raise JournalError("the background journal writer is closed")
        check_dtype(records, COMMAND_DTYPE, "journal records")
        check_seqs_continue(records["seq"], self._next_seq)
        if not records.shape[0]:
            return self._next_seq - 1
        try:
            self._queue.put(records.copy(), timeout=self._submit_timeout_s)
        except queue.Full as e:
            raise JournalError(
                f"journal queue full ({self._queue.maxsize} batches) for "
                f"{self._submit_timeout_s} s: the disk is not keeping up"
            ) from e
        self._next_seq += records.shape[0]
        return self._next_seq - 1

    def wait_durable(self, seq: int, timeout_s: float) -> bool:
        """Wait until record ``seq`` is fsynced.

        Returns:
            True once it is durable; False if ``timeout_s`` passed first.

        Raises:
            JournalError: the writer thread failed, so the record may never become durable.
        """
        deadline = time.monotonic() + timeout_s
        with self._condition:
            while self._durable_seq < seq:
                self._raise_if_failed()
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._condition.wait(remaining)
        return True

    def close(self, timeout_s: float = 30.0) -> None:
        """Commit everything queued, fsync (unless the policy is NEVER), and stop the thread.

        Raises:
            JournalError: the thread failed, or did not stop within ``timeout_s``.
        """
        if not self._is_closed:
            self._is_closed = True
            if self._thread.is_alive():
                self._queue.put(_STOP, timeout=timeout_s)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            raise JournalError(f"the journal writer thread did not stop within {timeout_s} s")
        self._raise_if_failed()

    def __enter__(self) -> BackgroundJournalWriter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _run(self) -> None:
        writer = self._writer
        try:
            is_stopping = False
            while not is_stopping:
                try:
                    first = self._queue.get(timeout=self._idle_timeout_s)
                except queue.Empty:
                    writer.sync_if_due()
                    self._publish()
                    continue
                batches, is_stopping = self._drain(first)
                if batches:
                    writer.append_batch(np.concatenate(batches, dtype=COMMAND_DTYPE))
                self._publish()
            writer.close()
            self._publish()
        except BaseException as e:  # outermost loop of the thread: hand the failure to the waiters
            with self._condition:
                self._failure = e
                self._condition.notify_all()
            try:
                writer.close()
            except JournalError:
                pass

    def _drain(self, first: np.ndarray | None) -> tuple[list[np.ndarray], bool]:
        batches: list[np.ndarray] = []
        item = first
        while True:
            if item is _STOP:
                return batches, True
            batches.append(item)
            try:
                item = self._queue.get_nowait()
            except queue.Empty:
                return batches, False

    def _publish(self) -> None:
        with self._condition:
            self._committed_seq = self._writer.committed_seq
            self._durable_seq = self._writer.durable_seq
            self._condition.notify_all()

    def _raise_if_failed(self) -> None:
        if self._failure is not None:
            raise JournalError(f"the journal writer thread failed: {self._failure}") from self._failure
