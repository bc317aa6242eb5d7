"""The shadow checkpointer: a separate process that tails the journal and writes exact-seq checkpoints."""

from __future__ import annotations

import pytest

from hftsim.journal import (
    FsyncPolicy,
    JournaledVenue,
    RetentionPolicy,
    list_checkpoints,
    read_checkpoint,
    recover,
)

from .durability_support import SEED, counting_clock, instruments, replay_digest, workload

N = 3_000


@pytest.mark.slow
def test_shadow_checkpoints_match_straight_replay_at_their_seq(tmp_path):
    commands = workload(N)
    venue = JournaledVenue(
        tmp_path / "v",
        counting_clock(),
        instruments(),
        SEED,
        fsync_policy=FsyncPolicy.EVERY_BATCH,
        group_records=100,
        checkpointer=RetentionPolicy(keep_last=2, keep_every_seq=1_000),
        checkpoint_every=500,
        extra_state=lambda: {"fix": {"S1": venue.last_seq}},
    )
    assert venue.shadow.wait_ready(60)
    for row in commands.tolist():
        venue.submit_record(row)
    digest = venue.digest()
    venue.close()  # the shadow serves the pending requests, then exits
    assert venue.shadow.requested == N // 500 and venue.shadow.dropped == 0
    kept = list_checkpoints(tmp_path / "v" / "checkpoints")
    assert [info.seq for info in kept] == [500, 1_000, 2_000, 2_500, 3_000]
    for info in kept:
        body = read_checkpoint(info.path)
        assert body.state_digest == replay_digest(commands[: info.seq])
    result = recover(tmp_path / "v")
    assert (result.digest, result.checkpoint_seq, result.extra_state) == (digest, N, {"fix": {"S1": N}})
