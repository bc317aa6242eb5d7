"""Recovery: checkpoint + journal tail reproduce the state; torn tails truncated; damage stops it loudly."""

from __future__ import annotations

import shutil
import struct
import zlib

import numpy as np
import pytest

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.errors import JournalCorrupt, JournalError
from hftsim.journal import JournalReader, recover
from hftsim.journal.recovery import replay_into
from hftsim.matching.engine import MatchingEngine

from .durability_support import (
    FRAME_BYTES,
    HEADER_BYTES,
    build_venue,
    instruments,
    straight_replay_digest,
    workload,
)

N = 600


@pytest.fixture
def venue_dir(tmp_path):
    directory = tmp_path / "venue"
    digest = build_venue(directory, workload(N))
    return directory, digest


def _segment(directory):
    return JournalReader(directory / "journal").segments[-1]


def test_recover_without_checkpoint_same_digest_as_before_crash(venue_dir):
    directory, digest = venue_dir
    result = recover(directory)
    assert (result.last_seq, result.digest, result.checkpoint_seq) == (N, digest, None)
    assert result.replayed_records == N and result.replayed_events > N


def test_recover_from_checkpoint_replays_only_tail(tmp_path):
    directory = tmp_path / "venue"
    digest = build_venue(directory, workload(N), checkpoint_at=(200, 500))
    result = recover(directory)
    assert (result.last_seq, result.digest, result.checkpoint_seq) == (N, digest, 500)
    assert result.replayed_records == N - 500
    assert result.extra_state == {"feed_seq": 500}
    assert recover(directory, use_checkpoints=False).digest == digest


@pytest.mark.slow
def test_recover_torn_last_record_at_every_offset_truncates_to_previous(venue_dir, tmp_path):
    directory, _ = venue_dir
    expected, _ = straight_replay_digest(directory / "journal", upto_seq=N - 1)
    size = _segment(directory).stat().st_size
    for cut in range(size - FRAME_BYTES, size):
        copy = tmp_path / f"cut{cut}"
        shutil.copytree(directory, copy)
        with open(_segment(copy), "r+b") as f:
            f.truncate(cut)
        result = recover(copy)
        assert result.last_seq == N - 1, cut
        assert result.digest == expected, cut
        assert (result.torn_tail is not None) == (cut != size - FRAME_BYTES)
        assert _segment(copy).stat().st_size == size - FRAME_BYTES
        shutil.rmtree(copy)


def test_recover_torn_tail_of_zeros_is_truncated(venue_dir):
    directory, _ = venue_dir
    with open(_segment(directory), "r+b") as f:
        f.seek(-FRAME_BYTES // 2, 2)
        f.write(b"\0" * (FRAME_BYTES // 2))
    assert recover(directory).last_seq == N - 1


def test_recover_corrupt_middle_record_names_file_and_offset_and_applies_nothing_after(venue_dir):
    directory, _ = venue_dir
    segment = _segment(directory)
    bad = 250  # 0-based frame index: seq 251
    offset = HEADER_BYTES + bad * FRAME_BYTES
    data = bytearray(segment.read_bytes())
    data[offset + 30] ^= 0xFF
    segment.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt) as info:
        recover(directory)
    message = str(info.value)
    assert str(segment) in message and f"byte offset {offset}" in message
    assert "recovery stopped" in message
    engine = MatchingEngine(instruments())
    with pytest.raises(JournalCorrupt):
        replay_into(engine, JournalReader(directory / "journal"), 0)
    assert engine.digest() == straight_replay_digest_prefix(directory, 250)


def straight_replay_digest_prefix(directory, last_seq):
    records = []
    try:
        for batch in JournalReader(directory / "journal").iter_batches():
            records.append(batch)
    except JournalCorrupt:
        pass
    prefix = np.concatenate(records, dtype=COMMAND_DTYPE)
    assert int(prefix["seq"][-1]) == last_seq
    engine = MatchingEngine(instruments())
    engine.run_batch(prefix)
    return engine.digest()


def test_recover_journal_of_other_format_version_is_clear_error(venue_dir):
    directory, _ = venue_dir
    segment = _segment(directory)
    data = bytearray(segment.read_bytes())
    struct.pack_into("<H", data, 8, 2)
    struct.pack_into("<I", data, 60, zlib.crc32(bytes(data[:60])))
    segment.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="format version 2 found"):
        recover(directory)


def test_recover_journal_of_other_run_seed_is_clear_error(venue_dir):
    directory, _ = venue_dir
    segment = _segment(directory)
    data = bytearray(segment.read_bytes())
    struct.pack_into("<Q", data, 16, 999)
    struct.pack_into("<I", data, 60, zlib.crc32(bytes(data[:60])))
    segment.write_bytes(bytes(data))
    with pytest.raises(JournalError, match="run seed 999"):
        recover(directory)


def test_recover_missing_manifest_is_clear_error(venue_dir):
    directory, _ = venue_dir
    (directory / "venue.json").unlink()
    with pytest.raises(JournalError, match="venue.json is missing"):
        recover(directory)


def test_recover_pruned_journal_without_checkpoint_is_clear_error(tmp_path):
    directory = tmp_path / "venue"
    build_venue(directory, workload(N), segment_bytes=HEADER_BYTES + 200 * FRAME_BYTES)
    JournalReader(directory / "journal").segments[0].unlink()
    with pytest.raises(
        JournalError, match="the journal starts at seq 201 but recovery has no valid checkpoint"
    ):
        recover(directory)


def test_recover_pruned_journal_with_covering_checkpoint_succeeds(tmp_path):
    directory = tmp_path / "venue"
    digest = build_venue(
        directory, workload(N), checkpoint_at=(300,), segment_bytes=HEADER_BYTES + 200 * FRAME_BYTES
    )
    JournalReader(directory / "journal").segments[0].unlink()
    result = recover(directory)
    assert (result.digest, result.checkpoint_seq, result.replayed_records) == (digest, 300, N - 300)
