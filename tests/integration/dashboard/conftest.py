"""Fixtures of the dashboard tests."""

import pytest

from .dashboard_support import LiveVenue, LoopThread


@pytest.fixture
def loop_thread():
    lt = LoopThread()
    yield lt
    lt.close()


@pytest.fixture
def live_venue(loop_thread, request):
    params = getattr(request, "param", {})
    venue = LiveVenue(**params)
    loop_thread.run(venue.start())
    yield venue
    loop_thread.run(venue.stop())
