"""The background writer: durability waits, group commit, failures. Waits use deadlines, never sleeps."""

from __future__ import annotations

import errno
import threading

import numpy as np
import pytest

from hftsim.core.errors import JournalError
from hftsim.journal import BackgroundJournalWriter, FsyncPolicy, JournalReader, JournalWriter

from .journal_support import make_commands

DEADLINE_S = 10.0


class GatedFsync:
    """Forwards to a recorder, but holds file fsyncs until the test opens the gate."""

    def __init__(self, recorder):
        self.recorder = recorder
        self.is_armed = False
        self.entered = threading.Event()
        self.gate = threading.Event()

    def __call__(self, fd):
        if self.is_armed:
            self.entered.set()
            assert self.gate.wait(DEADLINE_S), "the test never opened the fsync gate"
        self.recorder(fd)


def test_wait_durable_returns_after_fsync_and_data_reads_back(tmp_path, fsync_recorder):
    records = make_commands(300)
    writer = JournalWriter(tmp_path, 5, FsyncPolicy.EVERY_BATCH, fsync=fsync_recorder)
    with BackgroundJournalWriter(writer) as background:
        last = background.submit(records)
        assert last == 300
        assert background.wait_durable(last, DEADLINE_S)
        assert fsync_recorder.file_count >= 1
        assert background.durable_seq >= 300
        np.testing.assert_array_equal(JournalReader(tmp_path).read_all(), records)


def test_wait_durable_times_out_while_fsync_is_held(tmp_path, fsync_recorder):
    gated = GatedFsync(fsync_recorder)
    writer = JournalWriter(tmp_path, 5, FsyncPolicy.EVERY_BATCH, fsync=gated)
    gated.is_armed = True
    background = BackgroundJournalWriter(writer)
    try:
        seq = background.submit(make_commands(10))
        assert gated.entered.wait(DEADLINE_S)
        assert not background.wait_durable(seq, 0.02)
        assert background.committed_seq == 10 or background.durable_seq < 10
        assert background.durable_seq < seq
        gated.gate.set()
        assert background.wait_durable(seq, DEADLINE_S)
    finally:
        gated.gate.set()
        background.close()


def test_queued_batches_share_one_group_commit(tmp_path, fsync_recorder):
    gated = GatedFsync(fsync_recorder)
    writer = JournalWriter(tmp_path, 5, FsyncPolicy.EVERY_BATCH, fsync=gated)
    gated.is_armed = True
    records = make_commands(100)
    background = BackgroundJournalWriter(writer)
    try:
        background.submit(records[:10])
        assert gated.entered.wait(DEADLINE_S)  # the thread is inside the first fsync
        for start in range(10, 100, 10):
            last = background.submit(records[start:start + 10])
        gated.gate.set()
        assert background.wait_durable(last, DEADLINE_S)
        assert fsync_recorder.file_count == 2  # the first batch, then the nine queued behind it
    finally:
        gated.gate.set()
        background.close()
    np.testing.assert_array_equal(JournalReader(tmp_path).read_all(), records)


def test_interval_policy_thread_fsyncs_when_idle(tmp_path, fsync_recorder):
    writer = JournalWriter(tmp_path, 5, FsyncPolicy.INTERVAL_MS, fsync_interval_ms=1, fsync=fsync_recorder)
    with BackgroundJournalWriter(writer) as background:
        seq = background.submit(make_commands(3))
        assert background.wait_durable(seq, DEADLINE_S)


def test_failed_fsync_wakes_waiters_with_journal_error(tmp_path):
    def failing_fsync(fd):
        if getattr(failing_fsync, "armed", False):
            raise OSError(errno.EIO, "Input/output error")

    writer = JournalWriter(tmp_path, 5, FsyncPolicy.EVERY_BATCH, fsync=failing_fsync)
    failing_fsync.armed = True
    background = BackgroundJournalWriter(writer)
    seq = background.submit(make_commands(4))
    with pytest.raises(JournalError, match="fsync failed"):
        background.wait_durable(seq, DEADLINE_S)
    with pytest.raises(JournalError, match="thread failed"):
        background.submit(make_commands(1, first_seq=5))
    with pytest.raises(JournalError):
        background.close()


def test_submit_with_seq_gap_raises(tmp_path):
    writer = JournalWriter(tmp_path, 5, FsyncPolicy.NEVER)
    with BackgroundJournalWriter(writer) as background:
        background.submit(make_commands(3))
        with pytest.raises(JournalError, match="expected seq 4 at index 0, found 5"):
            background.submit(make_commands(2, first_seq=5))


def test_close_commits_everything_queued(tmp_path):
    records = make_commands(500)
    writer = JournalWriter(tmp_path, 5, FsyncPolicy.NEVER)
    background = BackgroundJournalWriter(writer, max_pending_batches=8)
    for start in range(0, 500, 50):
        background.submit(records[start:start + 50])
    background.close()
    np.testing.assert_array_equal(JournalReader(tmp_path).read_all(), records)
    with pytest.raises(JournalError, match="closed"):
        background.submit(make_commands(1, first_seq=501))
