"""Fills reconcile exactly with the venue; cash and positions are conserved across agents."""

from __future__ import annotations

import numpy as np
import pytest

from hftsim.core import InvariantError, Side, TimeInForce
from hftsim.testing import FakeMarket, ManualStrategy
from hftsim.trading.oms import reconcile

FEES = [
    {"maker_fee_units": -2_000, "taker_fee_units": 3_000},
    {"maker_fee_units": 0, "taker_fee_units": 5_000},
    {},
    {"maker_fee_units": 1_000, "taker_fee_units": 1_000},
]


def _random_run(seed: int, n_orders: int = 400):
    market = FakeMarket(seed=seed)
    agents = [ManualStrategy(f"a{i}", fees=FEES[i]) for i in range(4)]
    for agent in agents:
        market.add(agent)
    market.start()
    rng = np.random.default_rng(seed)
    for step in range(n_orders):
        market.advance_to(step * 1_000)
        agent = agents[rng.integers(len(agents))]
        action = rng.random()
        open_orders = agent.oms.open_orders()
        if action < 0.15 and open_orders:
            agent.oms.cancel(open_orders[rng.integers(len(open_orders))].client_order_id)
        elif action < 0.3 and open_orders:
            order = open_orders[rng.integers(len(open_orders))]
            if order.is_live:
                agent.oms.replace(
                    order.client_order_id,
                    order.price_ticks + int(rng.integers(-2, 3)),
                    int(rng.integers(1, 20)),
                )
        else:
            side = Side.BUY if rng.random() < 0.5 else Side.SELL
            tif = TimeInForce.IOC if rng.random() < 0.2 else TimeInForce.GTC
            agent.oms.submit(side, 1_000 + int(rng.integers(-5, 6)), int(rng.integers(1, 30)), tif=tif)
    return market, agents


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_reconcile_random_run_conserves_positions_and_cash(seed):
    market, agents = _random_run(seed)
    result = reconcile([a.oms for a in agents], market.fills)
    result.check()
    assert result.fill_count > 50
    assert result.positions == {0: 0}
    assert result.cash_units == -result.fees_units
    assert any(a.oms.position() != 0 for a in agents)


def test_reconcile_detects_a_missing_fill():
    market, agents = _random_run(4)
    fills = market.fills
    result = reconcile([a.oms for a in agents], fills[:-1])
    assert not result.is_ok
    assert any("fill events, expected 2" in e for e in result.errors)
    with pytest.raises(InvariantError, match="do not reconcile"):
        result.check()


def test_reconcile_detects_a_tampered_ledger():
    market, agents = _random_run(5)
    agents[1].oms.holding(0).position += 1
    result = reconcile([a.oms for a in agents], market.fills)
    assert any("a1" in e and "position" in e for e in result.errors)
    assert any("positions sum to 1" in e for e in result.errors)


def test_reconcile_open_market_skips_conservation():
    market, agents = _random_run(6)
    result = reconcile([a.oms for a in agents[:2]], market.fills, is_closed=False)
    assert result.is_ok
    closed = reconcile([a.oms for a in agents[:2]], market.fills)
    assert any("without an OMS" in e for e in closed.errors)
