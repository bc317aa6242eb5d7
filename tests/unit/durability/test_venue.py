"""JournaledVenue: sequencing, journaling, both acknowledgement modes, reopening a venue."""

from __future__ import annotations

import numpy as np
import pytest

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.enums import Side
from hftsim.core.errors import ConfigError
from hftsim.core.messages import NewOrder, OrderAccepted
from hftsim.journal import AckMode, FsyncPolicy, JournaledVenue, JournalReader, recover

from .durability_support import SEED, counting_clock, instruments, replay_digest, workload

N = 400


def _venue(directory, **kwargs):
    kwargs.setdefault("fsync_policy", FsyncPolicy.NEVER)
    return JournaledVenue(directory, counting_clock(), instruments(), SEED, **kwargs)


def test_venue_per_command_journals_stamped_commands_and_matches_plain_engine(tmp_path):
    commands = workload(N)
    with _venue(tmp_path / "v", group_records=64) as venue:
        counts = [venue.submit_record(row) for row in commands.tolist()]
        digest = venue.digest()
    journal = JournalReader(tmp_path / "v" / "journal").read_all()
    assert np.array_equal(journal["seq"], np.arange(1, N + 1))
    assert np.array_equal(journal["ts_event"], 1_000 * np.arange(1, N + 1))
    for name in ("order_id", "client_order_id", "price_ticks", "qty", "kind", "side"):
        assert np.array_equal(journal[name], commands[name])
    assert digest == replay_digest(commands) == recover(tmp_path / "v").digest
    assert sum(counts) > N


def test_venue_submit_struct_returns_events(tmp_path):
    with _venue(tmp_path / "v") as venue:
        events = venue.submit(
            NewOrder(symbol_id=0, client_order_id=5, owner_id=1, side=Side.BUY, qty=100, price_ticks=9_990)
        )
    assert isinstance(events[0], OrderAccepted) and events[0].ts_event == 1_000


def test_venue_durable_mode_acknowledges_only_durable_commands(tmp_path):
    commands = workload(N)
    with _venue(tmp_path / "v", mode=AckMode.DURABLE, fsync_policy=FsyncPolicy.EVERY_BATCH) as venue:
        for row in commands[:5].tolist():
            venue.submit_record(row)
            assert venue.durable_seq >= venue.last_seq
        venue.submit_batch(commands[5:])
        assert venue.durable_seq == N


def test_venue_group_commit_reports_durability_after_commit(tmp_path):
    with _venue(tmp_path / "v", fsync_policy=FsyncPolicy.EVERY_BATCH, group_records=1_000) as venue:
        for row in workload(N)[:10].tolist():
            venue.submit_record(row)
        assert venue.durable_seq == 0  # still staged
        assert venue.wait_durable(timeout_s=10)
        assert venue.durable_seq == 10


def test_venue_reopen_recovers_and_continues(tmp_path):
    commands = workload(N)
    with _venue(tmp_path / "v") as venue:
        venue.submit_batch(commands[:250])
    with _venue(tmp_path / "v") as venue:
        assert venue.recovered is not None and venue.last_seq == 250
        venue.submit_batch(commands[250:])
        digest = venue.digest()
    assert digest == replay_digest(commands) == recover(tmp_path / "v").digest


def test_venue_reopen_with_other_seed_is_config_error(tmp_path):
    _venue(tmp_path / "v").close()
    with pytest.raises(ConfigError, match="run seed 11, not 12"):
        JournaledVenue(tmp_path / "v", counting_clock(), instruments(), 12)


def test_venue_durable_mode_without_fsync_is_config_error(tmp_path):
    with pytest.raises(ConfigError, match="DURABLE needs a policy that fsyncs"):
        _venue(tmp_path / "v", mode=AckMode.DURABLE, fsync_policy=FsyncPolicy.NEVER)


def test_venue_bad_record_is_config_error_and_consumes_no_seq(tmp_path):
    with _venue(tmp_path / "v") as venue:
        with pytest.raises(ConfigError, match="13 integers"):
            venue.submit_record((0, 0, "x") + (0,) * 10)
        assert venue.last_seq == 0
        venue.submit_batch(np.zeros(0, dtype=COMMAND_DTYPE))
        assert venue.last_seq == 0


def test_durability_modules_all_is_pinned():
    from hftsim.journal import checkpoint, recovery, venue

    assert venue.__all__ == ["AckMode", "JournaledVenue"]
    assert recovery.__all__ == ["CheckpointStart", "RecoveredVenue", "load_latest_checkpoint", "recover",
                                "replay_into"]
    assert "ShadowCheckpointer" in checkpoint.__all__ and "write_checkpoint" in checkpoint.__all__
