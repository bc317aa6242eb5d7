"""Checkpoint files: round trip, atomic write, damage detected and skipped loudly, retention, wrong runs."""

from __future__ import annotations

import logging

import pytest

from hftsim.core.errors import JournalCorrupt, JournalError
from hftsim.journal import RetentionPolicy, list_checkpoints, read_checkpoint, recover, write_checkpoint
from hftsim.journal.checkpoint import apply_retention, checkpoint_name
from hftsim.matching.engine import MatchingEngine

from .durability_support import build_venue, instruments, replay_digest, workload

N = 600


@pytest.fixture
def venue(tmp_path):
    directory = tmp_path / "venue"
    digest = build_venue(directory, workload(N), checkpoint_at=(200, 400))
    return directory, digest


def _engine_at(seq):
    engine = MatchingEngine(instruments())
    engine.run_batch(workload(N)[:seq].copy())
    return engine


def test_checkpoint_round_trip_restores_same_state(tmp_path):
    engine = _engine_at(300)
    path = write_checkpoint(tmp_path, 300, 11, engine, {"fix": {"CLIENT1": 42}})
    body = read_checkpoint(path)
    assert path.name == checkpoint_name(300) and body.seq == 300
    assert body.state_digest == engine.digest() == replay_digest(workload(N)[:300])
    assert [p.name for p in tmp_path.iterdir()] == [path.name]  # no temporary file left behind


def test_checkpoint_flipped_byte_detected_naming_file(tmp_path):
    path = write_checkpoint(tmp_path, 300, 11, _engine_at(300))
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(JournalCorrupt, match=f"{path}: checkpoint body CRC mismatch"):
        read_checkpoint(path)


def test_checkpoint_partial_file_detected(tmp_path):
    path = write_checkpoint(tmp_path, 300, 11, _engine_at(300))
    data = path.read_bytes()
    for size in (10, 64, len(data) - 1):
        path.write_bytes(data[:size])
        with pytest.raises(JournalCorrupt, match="partial checkpoint"):
            read_checkpoint(path)


def test_recover_damaged_newest_checkpoint_falls_back_loudly(venue, caplog):
    directory, digest = venue
    newest = list_checkpoints(directory / "checkpoints")[-1].path
    newest.write_bytes(newest.read_bytes()[:-5])
    with caplog.at_level(logging.ERROR, logger="hftsim.journal"):
        result = recover(directory)
    assert (result.digest, result.checkpoint_seq, result.extra_state) == (digest, 200, {"feed_seq": 200})
    assert len(result.skipped_checkpoints) == 1 and str(newest) in result.skipped_checkpoints[0]
    assert "skipping damaged checkpoint" in caplog.text


def test_recover_checkpoint_of_other_run_seed_is_clear_error(venue):
    directory, _ = venue
    write_checkpoint(directory / "checkpoints", 500, 12345, _engine_at(500))
    with pytest.raises(JournalError, match="run seed 12345.*another run"):
        recover(directory)


def test_recover_checkpoint_of_other_instruments_is_clear_error(venue):
    directory, _ = venue
    other = MatchingEngine(instruments()[:2])
    write_checkpoint(directory / "checkpoints", 500, 11, other)
    with pytest.raises(JournalError, match="another instrument set"):
        recover(directory)


def test_recover_checkpoint_ahead_of_journal_is_clear_error(venue):
    directory, _ = venue
    write_checkpoint(directory / "checkpoints", N + 50, 11, _engine_at(N))
    with pytest.raises(JournalError, match=f"ahead of the journal, which ends at seq {N}"):
        recover(directory)


def test_retention_keeps_last_k_and_every_nth(tmp_path):
    engine = _engine_at(10)
    for seq in range(100, 1100, 100):
        write_checkpoint(tmp_path, seq, 11, engine)
    deleted = apply_retention(tmp_path, RetentionPolicy(keep_last=2, keep_every_seq=400))
    kept = [info.seq for info in list_checkpoints(tmp_path)]
    assert kept == [100, 400, 800, 900, 1000]
    assert len(deleted) == 5


def test_retention_rejects_keeping_nothing():
    with pytest.raises(ValueError, match="keep_last"):
        RetentionPolicy(keep_last=0)
