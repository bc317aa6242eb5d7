"""The stress drills' sampled load on both engines, and CPU pinning, against a real venue process."""

import asyncio
import os
import subprocess
import sys

import numpy as np
import pytest

from hftsim.net.client.load import default_engine
from hftsim.stress._load import sampled_load
from hftsim.stress._venue import VenueProcess, pin_apart


def _load(port: int, engine: str, rate: float = 2_000, duration_s: float = 0.5, **kw):
    return asyncio.run(
        sampled_load("127.0.0.1", port, "LOAD1", rate, duration_s, drain_timeout_s=5.0, engine=engine, **kw)
    )


@pytest.fixture(scope="module")
def venue(tmp_path_factory):
    with VenueProcess(tmp_path_factory.mktemp("venue"), busy_poll_us=200) as v:
        yield v


@pytest.mark.skipif(default_engine() != "c", reason="the compiled load runner is not built")
def test_compiled_engine_keeps_every_sample_with_arrival_before_read(venue):
    s = _load(venue.port, "c")
    assert s.engine == "c"
    assert s.sent_msgs == s.offered_msgs == 1_000
    assert s.sent_orders == 500 and s.lost_orders == 0 and s.rejected == 0
    assert s.is_sustained
    rtt, read = s.rtt_us, s.rtt_read_us
    assert rtt.size == read.size == 500
    assert np.all(rtt > 0)
    # the kernel's receive stamp (or, for a frame handed back, the read itself) never follows the read
    assert np.all(rtt <= read)
    # sends follow the schedule: order k is due at t0 + 2k / rate
    due_ns = s.t0_ns + np.arange(500) * 2 * 1e9 / 2_000
    assert np.all(s.send_ns >= due_ns - 1_000)


def test_python_engine_read_stamps_are_its_arrival_stamps(venue):
    s = _load(venue.port, "python", rate=1_000)
    assert s.engine == "python"
    assert s.sent_orders == 250 and s.lost_orders == 0
    assert np.array_equal(s.rtt_us, s.rtt_read_us)


def test_sampled_load_refuses_unknown_engine_and_live_sampler_with_compiled_runner(venue):
    with pytest.raises(ValueError, match="engine must be one of"):
        _load(venue.port, "rust")
    with pytest.raises(ValueError, match="live backlog sampler needs the python engine"):
        _load(venue.port, "c", live=[])


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="needs two CPUs to pin apart")
def test_pin_apart_puts_the_two_processes_on_different_cpus_and_restores_them():
    other = subprocess.Popen([sys.executable, "-c", "import sys; sys.stdin.read()"], stdin=subprocess.PIPE)
    try:
        mine_before, theirs_before = os.sched_getaffinity(0), os.sched_getaffinity(other.pid)
        with pin_apart(other.pid) as (mine, theirs):
            assert os.sched_getaffinity(0) == mine and len(mine) == 1
            assert os.sched_getaffinity(other.pid) == theirs and len(theirs) == 1
            assert not mine & theirs
            assert mine | theirs <= mine_before
        assert os.sched_getaffinity(0) == mine_before
        assert os.sched_getaffinity(other.pid) == theirs_before
    finally:
        other.stdin.close()
        other.wait(30)


def test_pin_apart_restores_this_process_when_the_other_has_exited():
    other = subprocess.Popen([sys.executable, "-c", "pass"])
    mine_before = os.sched_getaffinity(0)
    with pin_apart(other.pid):
        other.wait(30)
    assert os.sched_getaffinity(0) == mine_before
