"""Fsync policies, counted through an injected fsync and driven by a fake clock."""

from __future__ import annotations

import errno

import pytest

from hftsim.core.errors import JournalError
from hftsim.journal import FsyncPolicy, JournalReader, JournalWriter

from .journal_support import FRAME_BYTES, HEADER_BYTES, make_commands


def open_writer(directory, policy, recorder, clock, **kwargs):
    return JournalWriter(directory, 3, policy, fsync=recorder, clock_ns=clock, **kwargs)


def test_every_batch_fsyncs_each_commit_and_advances_durable_seq(tmp_path, fsync_recorder, fake_clock):
    records = make_commands(50)
    writer = open_writer(tmp_path, FsyncPolicy.EVERY_BATCH, fsync_recorder, fake_clock)
    assert fsync_recorder.calls == ["dir"]  # the new segment's directory entry
    for number, start in enumerate(range(0, 50, 10), start=1):
        writer.append_batch(records[start:start + 10])
        assert fsync_recorder.file_count == number
        assert writer.durable_seq == writer.committed_seq == start + 10
    writer.close()
    assert fsync_recorder.file_count == 5  # nothing left unsynced at close


def test_every_batch_staged_records_are_fsynced_only_on_flush(tmp_path, fsync_recorder, fake_clock):
    writer = open_writer(tmp_path, FsyncPolicy.EVERY_BATCH, fsync_recorder, fake_clock)
    for record in make_commands(5):
        writer.append(record)
    assert fsync_recorder.file_count == 0 and writer.durable_seq == 0
    writer.flush()
    assert fsync_recorder.file_count == 1 and writer.durable_seq == 5
    writer.close()


def test_interval_fsyncs_at_most_once_per_interval(tmp_path, fsync_recorder, fake_clock):
    records = make_commands(6)
    writer = open_writer(tmp_path, FsyncPolicy.INTERVAL_MS, fsync_recorder, fake_clock, fsync_interval_ms=10)
    fake_clock.advance_ms(1)
    writer.append_batch(records[0:1])
    fake_clock.advance_ms(8)
    writer.append_batch(records[1:2])
    assert (fsync_recorder.file_count, writer.durable_seq, writer.committed_seq) == (0, 0, 2)
    fake_clock.advance_ms(1)  # 10 ms since the writer opened
    writer.append_batch(records[2:3])
    assert (fsync_recorder.file_count, writer.durable_seq) == (1, 3)
    fake_clock.advance_ms(9.999)
    writer.append_batch(records[3:4])
    assert not writer.sync_if_due()
    assert (fsync_recorder.file_count, writer.durable_seq) == (1, 3)
    fake_clock.advance_ms(0.001)
    assert writer.sync_if_due()
    assert (fsync_recorder.file_count, writer.durable_seq) == (2, 4)
    assert not writer.sync_if_due()  # nothing new to sync
    writer.append_batch(records[4:6])
    writer.close()
    assert (fsync_recorder.file_count, writer.durable_seq) == (3, 6)


def test_never_fsyncs_nothing_even_at_close_unless_asked(tmp_path, fsync_recorder, fake_clock):
    records = make_commands(40)
    writer = open_writer(tmp_path, FsyncPolicy.NEVER, fsync_recorder, fake_clock,
                         segment_bytes=HEADER_BYTES + 10 * FRAME_BYTES)
    writer.append_batch(records[:30])
    fake_clock.advance_ms(1_000)
    writer.append_batch(records[30:35])
    assert fsync_recorder.calls == [] and writer.durable_seq == 0
    assert writer.sync() == 35
    assert fsync_recorder.calls == ["file"]
    writer.append_batch(records[35:])
    writer.close()
    assert fsync_recorder.calls == ["file"]
    assert JournalReader(tmp_path).read_all().shape == (40,)


def test_rollover_fsyncs_the_old_segment_before_starting_the_next(tmp_path, fsync_recorder, fake_clock):
    writer = open_writer(tmp_path, FsyncPolicy.INTERVAL_MS, fsync_recorder, fake_clock, fsync_interval_ms=10,
                         segment_bytes=HEADER_BYTES + 10 * FRAME_BYTES)
    writer.append_batch(make_commands(25))
    assert fsync_recorder.calls == ["dir", "file", "dir", "file", "dir"]
    assert writer.durable_seq == 20 and writer.committed_seq == 25
    writer.close()


def test_failed_fsync_stops_the_writer_for_good(tmp_path, fake_clock):
    def failing_fsync(fd):
        if not hasattr(failing_fsync, "armed"):
            return
        raise OSError(errno.EIO, "Input/output error")

    writer = JournalWriter(tmp_path, 3, FsyncPolicy.EVERY_BATCH, fsync=failing_fsync, clock_ns=fake_clock)
    failing_fsync.armed = True
    records = make_commands(2)
    with pytest.raises(JournalError, match="fsync failed"):
        writer.append_batch(records[:1])
    with pytest.raises(JournalError, match="earlier failure"):
        writer.append_batch(records[1:])
    assert writer.durable_seq == 0
    writer.close()
