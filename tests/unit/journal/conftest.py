"""Fixtures of the journal tests."""

from __future__ import annotations

import pytest

from .journal_support import FakeClock, FsyncRecorder


@pytest.fixture
def fsync_recorder() -> FsyncRecorder:
    return FsyncRecorder()


@pytest.fixture
def fake_clock() -> FakeClock:
    return FakeClock()
