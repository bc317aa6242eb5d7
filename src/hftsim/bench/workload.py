"""Seeded synthetic order-flow workloads for the engine benchmark. Cold path.

The engine workload mixes, by command count: about 57% new limit orders at and behind the touch
(and a deeper tail), 33% cancels of live orders, 9% marketable orders (half IOC limits through the
touch, half market orders) and 1% replaces (a size decrease that keeps priority, or a one-tick move
away from the touch). It is generated against a shadow engine, in chunks, so that cancels and
replaces name orders that are live when the chunk starts; an order filled earlier in the same chunk
can make a later cancel miss (the engine then rejects it as UNKNOWN_ORDER), which the benchmark
reports.
"""

from __future__ import annotations

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.enums import CommandKind, EventFlag, EventKind, OrderType, RejectReason, StpMode, TimeInForce
from hftsim.core.instrument import Instrument
from hftsim.core.rng import rng_for
from hftsim.matching.engine import MatchingEngine

__all__ = ["bench_instruments", "engine_workload", "resting_workload"]

_REFERENCE_PX = 10_000
_N_OWNERS = 64
_CHUNK = 250


def bench_instruments(n_symbols: int) -> list[Instrument]:
    """Instruments of the benchmark: a 20,000-tick band around 10,000 ticks."""
    return [
        Instrument(symbol=f"SYM{i}", symbol_id=i, band_low_ticks=1, band_high_ticks=20_000)
        for i in range(n_symbols)
    ]


class _Live:
    """Live orders of the generator: O(1) add, remove and uniform pick."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        self.pos: dict[int, int] = {}
        self.info: dict[int, tuple[int, int, int, int, int]] = {}  # id -> (sym, side, px, qty, owner)

    def add(self, order_id: int, info: tuple[int, int, int, int, int]) -> None:
        self.pos[order_id] = len(self.ids)
        self.ids.append(order_id)
        self.info[order_id] = info

    def remove(self, order_id: int) -> None:
        i = self.pos.pop(order_id, None)
        if i is None:
            return
        last = self.ids.pop()
        if last != order_id:
            self.ids[i] = last
            self.pos[last] = i
        del self.info[order_id]

    def pick(self, u: float) -> int:
        return self.ids[int(u * len(self.ids))]


def _touch(engine: MatchingEngine, sym: int) -> tuple[int, int, int, int]:
    """(best bid, best ask, bid qty, ask qty); an empty side is placed next to the other side."""
    l1 = engine.l1(sym)
    bid = l1.bid_px_ticks if l1.has_bid else None
    ask = l1.ask_px_ticks if l1.has_ask else None
    if bid is None and ask is None:
        bid, ask = _REFERENCE_PX - 1, _REFERENCE_PX + 1
    elif bid is None:
        bid = ask - 2
    elif ask is None:
        ask = bid + 2
    return bid, ask, l1.bid_qty, l1.ask_qty


def _passive_price(rng: np.random.Generator, side: int, bid: int, ask: int) -> int:
    """A price that cannot cross the chunk's other passive orders.

    15% land at or inside the touch (anywhere in the order's own half of the spread, so buys stay
    at or below the mid and sells above it), 75% a geometric number of ticks behind the touch, and
    10% in a deep tail.
    """
    mid = (bid + ask) // 2
    u = rng.random()
    if u < 0.15:
        return int(rng.integers(bid, mid + 1)) if side > 0 else int(rng.integers(mid + 1, ask + 1))
    depth = int(rng.geometric(0.2)) if u < 0.90 else int(rng.integers(10, 200))
    return max(1, bid - depth) if side > 0 else min(20_000, ask + depth)


def engine_workload(n_commands: int, n_symbols: int = 1, seed: int = 7) -> np.ndarray:
    """Generate ``n_commands`` COMMAND_DTYPE records over ``n_symbols`` symbols.

    Args:
        n_commands: number of commands.
        n_symbols: symbols, chosen uniformly per command.
        seed: run seed; the same seed gives the same workload.

    Returns:
        The commands, ``seq`` from 1 and ``ts_event`` 1 µs apart.
    """
    rng = rng_for(seed, "bench.engine.workload")
    shadow = MatchingEngine(bench_instruments(n_symbols), StpMode.CANCEL_RESTING)
    out = np.zeros(n_commands, dtype=COMMAND_DTYPE)
    live = _Live()
    next_order_id = 1
    next_clid = 1
    for start in range(0, n_commands, _CHUNK):
        stop = min(start + _CHUNK, n_commands)
        touches = [_touch(shadow, s) for s in range(n_symbols)]
        rows = []
        for i in range(start, stop):
            u = rng.random()
            sym = int(rng.integers(n_symbols))
            owner = int(rng.integers(1, _N_OWNERS + 1))
            bid, ask, bid_qty, ask_qty = touches[sym]
            seq, ts = i + 1, 1_000 * (i + 1)
            if (0.57 <= u < 0.90 or u >= 0.99) and not live.ids:
                u = 0.0  # nothing live to cancel or replace yet: add liquidity instead
            if u < 0.57:
                side = 1 if rng.random() < 0.5 else -1
                px = _passive_price(rng, side, bid, ask)
                qty = 100 * int(rng.integers(1, 10))
                rows.append(
                    (
                        seq,
                        ts,
                        0,
                        next_clid,
                        px,
                        qty,
                        owner,
                        sym,
                        CommandKind.NEW,
                        side,
                        OrderType.LIMIT,
                        TimeInForce.GTC,
                        0,
                    )
                )
                live.add(next_order_id, (sym, side, px, qty, owner))
                next_order_id += 1
            elif u < 0.90:
                oid = live.pick(rng.random())
                osym, _, _, _, oowner = live.info[oid]
                rows.append((seq, ts, oid, 0, 0, 0, oowner, osym, CommandKind.CANCEL, 0, 0, 0, 0))
                live.remove(oid)
            elif u < 0.99:
                side = 1 if rng.random() < 0.5 else -1
                qty = 100 * int(rng.integers(1, 20))  # about two average orders: keeps the book bounded
                if rng.random() < 0.5:
                    px = ask + 2 if side > 0 else max(1, bid - 2)
                    rows.append(
                        (
                            seq,
                            ts,
                            0,
                            next_clid,
                            px,
                            qty,
                            owner,
                            sym,
                            CommandKind.NEW,
                            side,
                            OrderType.LIMIT,
                            TimeInForce.IOC,
                            0,
                        )
                    )
                else:
                    rows.append(
                        (
                            seq,
                            ts,
                            0,
                            next_clid,
                            0,
                            qty,
                            owner,
                            sym,
                            CommandKind.NEW,
                            side,
                            OrderType.MARKET,
                            TimeInForce.IOC,
                            0,
                        )
                    )
                next_order_id += 1
            else:
                oid = live.pick(rng.random())
                osym, oside, opx, oqty, oowner = live.info[oid]
                if oqty > 100 and rng.random() < 0.5:
                    npx, nqty = opx, oqty - 100
                else:
                    npx, nqty = min(20_000, max(1, opx - oside)), oqty
                rows.append(
                    (seq, ts, oid, next_clid, npx, nqty, oowner, osym, CommandKind.REPLACE, 0, 0, 0, 0)
                )
                live.info[oid] = (osym, oside, npx, nqty, oowner)
            next_clid += 1
        chunk = out[start:stop]
        chunk[:] = rows
        events = shadow.run_batch(chunk)
        gone = events[
            (
                (events["kind"] == EventKind.FILLED)
                & ((events["flags"] & EventFlag.AGGRESSOR) == 0)
                & (events["leaves_qty"] == 0)
            )
            | (
                (events["kind"] == EventKind.CANCELED)
                & (events["reason"] == RejectReason.SELF_TRADE)
                & (events["leaves_qty"] == 0)
            )
        ]
        for oid in gone["order_id"].tolist():
            live.remove(oid)
    return out


def resting_workload(n_orders: int, seed: int = 7) -> np.ndarray:
    """``n_orders`` non-crossing GTC limit orders on one symbol (bids below 10,000, asks above)."""
    rng = rng_for(seed, "bench.engine.resting")
    out = np.zeros(n_orders, dtype=COMMAND_DTYPE)
    side = np.where(rng.random(n_orders) < 0.5, 1, -1)
    depth = rng.integers(0, 2_000, n_orders)
    out["seq"] = np.arange(1, n_orders + 1)
    out["ts_event"] = out["seq"] * 1_000
    out["client_order_id"] = out["seq"]
    out["price_ticks"] = np.where(side > 0, _REFERENCE_PX - 1 - depth, _REFERENCE_PX + 1 + depth)
    out["qty"] = 100 * rng.integers(1, 10, n_orders)
    out["owner_id"] = rng.integers(1, _N_OWNERS + 1, n_orders)
    out["kind"] = CommandKind.NEW
    out["side"] = side
    out["order_type"] = OrderType.LIMIT
    out["tif"] = TimeInForce.GTC
    return out
