"""Zero-intelligence flow: realised rates match the configured ones."""

from __future__ import annotations

import numpy as np

from hftsim.core.enums import CommandKind, EventKind, OrderType
from hftsim.core.instrument import Instrument
from hftsim.flow.source import DepthDistribution, SizeDistribution
from hftsim.flow.zero_intelligence import ZeroIntelligenceFlow
from hftsim.sim.kernel import Kernel

INSTRUMENTS = [Instrument(symbol="Z", band_low_ticks=1, band_high_ticks=100_000)]


def _run(
    limit_rate: float,
    market_rate: float,
    cancel_rate: float,
    seconds: float,
    population: int = 100,
    seed: int = 1,
) -> tuple[Kernel, ZeroIntelligenceFlow]:
    flow = ZeroIntelligenceFlow(
        "zi",
        0,
        population,
        limit_rate,
        market_rate,
        cancel_rate,
        DepthDistribution("uniform", 1, 20),
        SizeDistribution(100),
        10_000,
    )
    kernel = Kernel(INSTRUMENTS, seed, int(seconds * 1e9), flows=[flow], block_ns=2_000_000_000)
    kernel.run()
    return kernel, flow


def _within(count: int, expected: float, sigmas: float = 4.0) -> bool:
    return abs(count - expected) < sigmas * np.sqrt(expected)


def test_zi_limit_and_market_counts_match_poisson_rates():
    kernel, flow = _run(limit_rate=0.5, market_rate=0.1, cancel_rate=0.2, seconds=200, population=100)
    commands = kernel.commands()
    new = commands[commands["kind"] == CommandKind.NEW]
    n_limit = int((new["order_type"] == OrderType.LIMIT).sum())
    n_market = int((new["order_type"] == OrderType.MARKET).sum())
    assert _within(n_limit, 0.5 * 100 * 200) and _within(n_market, 0.1 * 100 * 200)
    assert (n_limit, n_market) == (flow.counts["limit"], flow.counts["market"])
    buys = int((new["side"] == 1).sum())
    assert _within(buys, len(new) / 2)


def test_zi_owners_are_spread_over_the_population():
    kernel, flow = _run(limit_rate=0.5, market_rate=0.0, cancel_rate=0.2, seconds=50, population=40)
    commands = kernel.commands()
    owners = commands["owner_id"][commands["kind"] == CommandKind.NEW]
    assert set(np.unique(owners).tolist()) == set(range(flow.first_owner_id, flow.first_owner_id + 40))


def test_zi_cancel_hazard_per_resting_order_matches_rate():
    # no market orders: ZI limit orders never cross, so orders leave the book only by cancellation
    kernel, _ = _run(limit_rate=0.5, market_rate=0.0, cancel_rate=0.25, seconds=200, population=50)
    events, end = kernel.events(), 200 * 10**9
    accepted = events[events["kind"] == EventKind.ACCEPTED]
    canceled = events[(events["kind"] == EventKind.CANCELED) & (events["ts_event"] < end)]
    assert not np.any(events["kind"] == EventKind.FILLED)
    gone_at = dict(zip(canceled["order_id"].tolist(), canceled["ts_event"].tolist()))
    exposure_s = (
        sum(
            (gone_at.get(o, end) - t)
            for o, t in zip(accepted["order_id"].tolist(), accepted["ts_event"].tolist())
        )
        / 1e9
    )
    estimate = len(canceled) / exposure_s
    assert abs(estimate - 0.25) < 4 * 0.25 / np.sqrt(len(canceled))


def test_zi_limit_orders_never_cross_the_opposite_best():
    kernel, _ = _run(limit_rate=1.0, market_rate=0.0, cancel_rate=0.5, seconds=20, population=20)
    events = kernel.events()
    assert not np.any(events["kind"] == EventKind.TRADE)
    l1 = kernel.l1_log()
    both = (l1["bid_qty"] > 0) & (l1["ask_qty"] > 0)
    assert np.all(l1["bid_px_ticks"][both] < l1["ask_px_ticks"][both])


def test_zi_same_seed_same_flow_different_seed_different_flow():
    a, _ = _run(0.5, 0.1, 0.2, 10, seed=4)
    b, _ = _run(0.5, 0.1, 0.2, 10, seed=4)
    c, _ = _run(0.5, 0.1, 0.2, 10, seed=5)
    assert a.commands().tobytes() == b.commands().tobytes() != c.commands().tobytes()
