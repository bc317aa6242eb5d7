"""Epoch and fencing rules (pure functions and the on-disk files)."""

import pytest

from hftsim.core.errors import ConfigError
from hftsim.net.standby.epoch import (
    EpochFile,
    FenceFile,
    is_stale,
    may_serve,
    may_take_over,
    next_epoch,
    primary_must_step_down,
    standby_accepts_primary,
)


def test_primary_higher_epoch_seen_steps_down():
    assert primary_must_step_down(own_epoch=3, seen_epoch=4)
    assert not primary_must_step_down(own_epoch=3, seen_epoch=3)
    assert not primary_must_step_down(own_epoch=3, seen_epoch=1)


def test_standby_stale_primary_refused():
    assert standby_accepts_primary(own_epoch=2, primary_epoch=2)
    assert standby_accepts_primary(own_epoch=2, primary_epoch=5)
    assert not standby_accepts_primary(own_epoch=4, primary_epoch=3)


def test_takeover_needs_sync_and_full_timeout():
    timeout = 200_000_000
    assert may_take_over(is_sync=True, silent_ns=timeout, timeout_ns=timeout)
    assert not may_take_over(is_sync=True, silent_ns=timeout - 1, timeout_ns=timeout)
    assert not may_take_over(is_sync=False, silent_ns=10 * timeout, timeout_ns=timeout)


def test_next_epoch_above_everything_seen():
    assert next_epoch(1, 1, 0) == 2
    assert next_epoch(1, 3, 2) == 4
    assert next_epoch(5, 3, 7) == 8


def test_serving_fenced_by_higher_fence():
    assert may_serve(3, 3) and not is_stale(3, 3)
    assert not may_serve(2, 3) and is_stale(2, 3)


def test_fence_file_advance_never_goes_back(tmp_path):
    fence = FenceFile(tmp_path / "fence")
    assert fence.read() == 0
    assert fence.advance(2) == 2
    assert fence.read() == 2
    assert fence.advance(1) == 2  # lost race: the caller must not serve
    assert fence.read() == 2
    assert FenceFile(tmp_path / "fence").advance(3) == 3
    assert fence.read() == 3  # cached value refreshed on change


def test_epoch_file_round_trip_and_garbage_named(tmp_path):
    ef = EpochFile(tmp_path)
    assert ef.read() == 0
    ef.write(7)
    assert EpochFile(tmp_path).read() == 7
    (tmp_path / "epoch").write_text("seven")
    with pytest.raises(ConfigError, match="epoch"):
        ef.read()
