"""Shared set-ups for strategy tests: a market with a liquidity provider around a mid."""

from __future__ import annotations

from hftsim.core import Side
from hftsim.testing import FakeMarket, ManualStrategy


def market_with_book(*agents, bid=995, ask=1_005, depth_qty=10_000, levels=5, seed=0, **market_kwargs):
    """A FakeMarket whose first agent ("lp", owner 1) rests ``levels`` levels per side; then the agents."""
    market = FakeMarket(seed=seed, **market_kwargs)
    lp = ManualStrategy("lp")
    market.add(lp)
    for agent in agents:
        market.add(agent)
    market.start()
    for i in range(levels):
        lp.oms.submit(Side.BUY, bid - i, depth_qty)
        lp.oms.submit(Side.SELL, ask + i, depth_qty)
    return market, lp
