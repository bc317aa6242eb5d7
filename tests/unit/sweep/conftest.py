"""Fixtures of the sweep tests: a tiny market, a probe agent that counts and can fail, a Dask client."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from hftsim.core.errors import InvariantError
from hftsim.sim.agent import Agent
from hftsim.sim.registry import register_agent

#: runs started per probe name; the probe runs in worker threads of an in-process cluster
STARTS: dict[str, int] = {}
_LOCK = threading.Lock()

MARKET = """
name = "tiny"
seed = 3

[session]
duration_s = 2
block_s = 1

[[instruments]]
symbol = "SIM"
band_low_ticks = 1
band_high_ticks = 1000000

[[flows]]
type = "zero_intelligence"
name = "noise"
population = 50
limit_rate = 1.0
market_rate = 0.1
cancel_rate = 0.2
initial_price_ticks = 10000
"""

PROBE = """
[[agents]]
type = "sweep_probe"
name = "probe"

[agents.params]
label = "base"
explode = false
"""


class SweepProbe(Agent):
    """Counts its runs per label; raises on start when ``explode`` (the broken parameter)."""

    def __init__(
        self, name: str, subscriptions: tuple[int, ...] = (0,), *, label: str = "", explode: bool = False
    ):
        super().__init__(name, subscriptions)
        self.label = label
        self.explode = explode

    def on_start(self, ctx) -> None:
        with _LOCK:
            STARTS[self.label] = STARTS.get(self.label, 0) + 1
        if self.explode:  # an InvariantError passes the strategies' failure guard and stops the run
            raise InvariantError(f"probe {self.label} exploded on purpose")


register_agent("sweep_probe", SweepProbe)


def write_sweep(directory: Path, body: str, with_probe: bool = False) -> Path:
    """Write the tiny market (optionally with the probe) and a sweep file naming it."""
    (directory / "market.toml").write_text(MARKET + (PROBE if with_probe else ""))
    path = directory / "sweep.toml"
    path.write_text('scenario = "market.toml"\nseed = 5\n' + body)
    return path


@pytest.fixture
def starts():
    STARTS.clear()
    return STARTS


@pytest.fixture(scope="module")
def thread_client():
    """An in-process Dask cluster (one worker thread): starts in well under a second."""
    from distributed import Client, LocalCluster

    cluster = LocalCluster(
        n_workers=1,
        threads_per_worker=1,
        processes=False,
        dashboard_address=":0",
        scheduler_kwargs={"dashboard": False},
    )
    client = Client(cluster)
    yield client
    client.close()
    cluster.close()
