"""Benchmark of the OMS on a strategy's decision path. Cold path (edge: reads wall time).

Workload: an Avellaneda-Stoikov maker in a :class:`~hftsim.testing.FakeMarket` (real matching engine,
zero latency) receives N synthetic L1 updates (a +-1 tick random walk of the touch, seeded stream
``"bench.oms"``, one update every 500 us of simulated time). Each update is one decision: compute the
quotes, then new/replace orders through the OMS with every risk check switched on (quantity, notional,
position, collar, throttle), book the venue's answers, sample PnL marks.

The baseline is the same loop without the OMS: an agent with the same quoting code that sends the
commands straight to the context and tracks its two orders in a dict. ``decision_overhead_us`` is the
difference of the two, per decision (best of ``repeats``). Budget: at most 5 us per decision.
"""

from __future__ import annotations

import math
import time

import numpy as np

from hftsim.book.views import L1
from hftsim.core.enums import Side
from hftsim.core.messages import NewOrder, OrderAccepted, ReplaceOrder
from hftsim.core.rng import rng_for
from hftsim.sim.agent import Agent
from hftsim.testing import FakeMarket
from hftsim.trading.models import as_optimal_quotes
from hftsim.trading.strategies.making import AvellanedaStoikovMaker

__all__ = ["BUDGET_US", "run"]

BUDGET_US = 5.0
_STEP_NS = 500_000
_PARAMS = {
    "gamma": 0.1,
    "sigma": 0.5,
    "arrival_decay": 0.5,
    "order_qty": 100,
    "horizon_s": 10.0,
    "requote_interval_ns": 0,
}
_RISK = {
    "max_order_qty": 10_000,
    "max_notional_ticks": 10**12,
    "max_position": 100_000,
    "collar_ticks": 500,
    "max_orders_per_window": 1_000_000,
    "window_ns": 1_000_000_000,
}


class _BareMaker(Agent):
    """The baseline: the maker's quoting without the OMS (no risk, no state machine, no ledger)."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        p = _PARAMS
        self.gamma, self.sigma, self.k = p["gamma"], p["sigma"], p["arrival_decay"]
        self.qty, self.horizon_s = p["order_qty"], p["horizon_s"]
        self.orders: dict[int, list[int]] = {}  # side -> [order_id, price]
        self.next_id = 1
        self.position = 0
        self.ref = {Side.BUY: None, Side.SELL: None}

    def on_order_event(self, ctx, event) -> None:
        if isinstance(event, OrderAccepted):
            self.orders[event.side] = [event.order_id, event.price_ticks]

    def on_l1(self, ctx, l1: L1) -> None:
        for side, px, qty in (
            (Side.BUY, l1.bid_px_ticks, l1.bid_qty),
            (Side.SELL, l1.ask_px_ticks, l1.ask_qty),
        ):
            own = self.orders.get(side)
            if qty > 0 and not (own is not None and own[1] == px and self.qty >= qty):
                self.ref[side] = px
        bid_ref, ask_ref = self.ref[Side.BUY], self.ref[Side.SELL]
        if bid_ref is None or ask_ref is None or bid_ref >= ask_ref:
            return
        mid = (bid_ref + ask_ref) / 2
        time_left = max(0.0, self.horizon_s - ctx.now_ns() / 1e9)
        bid, ask = as_optimal_quotes(mid, self.position / self.qty, self.gamma, self.sigma, time_left, self.k)
        bid_ticks = min(math.floor(float(bid) + 1e-9), ask_ref - 1)
        ask_ticks = max(math.ceil(float(ask) - 1e-9), bid_ref + 1)
        for side, px in ((Side.BUY, bid_ticks), (Side.SELL, ask_ticks)):
            own = self.orders.get(side)
            cid = self.next_id
            self.next_id += 1
            if own is None:
                self.orders[side] = [0, px]
                ctx.send(
                    NewOrder(
                        ts_event=ctx.now_ns(),
                        symbol_id=0,
                        client_order_id=cid,
                        side=side,
                        qty=self.qty,
                        price_ticks=px,
                    )
                )
            elif own[1] != px and own[0]:
                own[1] = px
                ctx.send(
                    ReplaceOrder(
                        ts_event=ctx.now_ns(),
                        symbol_id=0,
                        order_id=own[0],
                        client_order_id=cid,
                        price_ticks=px,
                        qty=self.qty,
                    )
                )


def _l1_path(n: int, seed: int) -> list[L1]:
    steps = rng_for(seed, "bench.oms").choice(np.array([-1, 0, 1]), size=n)
    bids = 10_000 + np.cumsum(steps)
    spreads = 2 + (np.arange(n) % 3)
    return [
        L1(
            symbol_id=0,
            bid_px_ticks=int(b),
            bid_qty=500,
            bid_orders=3,
            ask_px_ticks=int(b + s),
            ask_qty=500,
            ask_orders=3,
        )
        for b, s in zip(bids, spreads)
    ]


def _time_loop(agent: Agent, path: list[L1]) -> tuple[float, int]:
    market = FakeMarket(is_publishing_l1=False)
    market.add(agent)
    market.start()
    deliver, advance = market.deliver_l1, market.advance_to
    start = time.perf_counter()
    for i, l1 in enumerate(path):
        advance((i + 1) * _STEP_NS)
        deliver(l1)
    elapsed = time.perf_counter() - start
    return elapsed, len(market.commands)


def run(quick: bool = False, seed: int = 20240601, repeats: int = 3) -> dict:
    """Time the maker's decision loop with and without the OMS.

    Args:
        quick: 5,000 L1 updates instead of 20,000.
        seed: run seed of the synthetic L1 path.
        repeats: timing repetitions of each loop (the best is kept).

    Returns:
        ``decision_overhead_us`` (OMS loop minus baseline, per decision), ``with_oms_us_per_decision``,
        ``baseline_us_per_decision``, ``decisions``, ``commands_with_oms``, ``commands_baseline``,
        ``budget_us``, ``is_within_budget``.
    """
    n = 5_000 if quick else 20_000
    path = _l1_path(n, seed)
    with_oms, baseline = [], []
    commands_oms = commands_bare = 0
    for _ in range(repeats):
        maker = AvellanedaStoikovMaker("bench_mm", risk=_RISK, **_PARAMS)
        elapsed, commands_oms = _time_loop(maker, path)
        with_oms.append(elapsed)
        elapsed, commands_bare = _time_loop(_BareMaker("bench_bare"), path)
        baseline.append(elapsed)
    oms_us = min(with_oms) / n * 1e6
    bare_us = min(baseline) / n * 1e6
    overhead = oms_us - bare_us
    return {
        "decision_overhead_us": round(overhead, 3),
        "with_oms_us_per_decision": round(oms_us, 3),
        "baseline_us_per_decision": round(bare_us, 3),
        "decisions": n,
        "commands_with_oms": commands_oms,
        "commands_baseline": commands_bare,
        "budget_us": BUDGET_US,
        "is_within_budget": overhead <= BUDGET_US,
    }


if __name__ == "__main__":  # pragma: no cover
    print(run(quick=True))
