"""Order flow driven by a multivariate Hawkes process. Hot path (act).

Each dimension ``i`` of a ``D``-dimensional Hawkes process (Hawkes 1971; for order books Bacry,
Mastromatteo & Muzy 2015, "Hawkes processes in finance", Market Microstructure and Liquidity 1(1))
is mapped to an order action:

==============  ===========================================================================
market_buy      market order to buy (IOC remainder expires)
market_sell     market order to sell
limit_bid       buy limit order ``k`` ticks below the current best bid, ``k`` from the depth
                distribution (``k = 0`` joins the best bid)
limit_ask       sell limit order ``k`` ticks above the current best ask
cancel_bid      cancel a uniformly chosen live buy order of the flow (nothing if there is none)
cancel_ask      cancel a uniformly chosen live sell order of the flow
cancel          cancel a uniformly chosen live order of the flow, either side
==============  ===========================================================================

When the own side is empty the reference is the opposite best one tick away, and when both are
empty the last seen quote (initially ``initial_price_ticks`` +- 1). Owners are drawn uniformly from a
population of ``population`` owner ids. The event times are simulated exactly for the whole session
at bind time (Ogata thinning, :func:`hftsim.flow.hawkes.simulate`) from the flow's own RNG stream;
per-event sizes, depths, owners and cancel choices are drawn per window in vectorised calls.
"""

from __future__ import annotations

import numpy as np

from hftsim.core.enums import OrderType, TimeInForce
from hftsim.flow.hawkes import HawkesParams, simulate
from hftsim.flow.source import DepthDistribution, FlowSource, FlowVenue, SizeDistribution

__all__ = ["ACTIONS", "HawkesFlow"]

ACTIONS = ("market_buy", "market_sell", "limit_bid", "limit_ask", "cancel_bid", "cancel_ask", "cancel")
_MARKET_BUY, _MARKET_SELL, _LIMIT_BID, _LIMIT_ASK, _CANCEL_BID, _CANCEL_ASK, _CANCEL = range(7)
_LIMIT = int(OrderType.LIMIT)
_MARKET = int(OrderType.MARKET)
_GTC = int(TimeInForce.GTC)
_IOC = int(TimeInForce.IOC)


class HawkesFlow(FlowSource):
    """Order flow whose event times and types follow a multivariate Hawkes process.

    Args:
        name: flow name (RNG stream ``flow.<name>``).
        symbol_id: symbol traded.
        population: number of owner ids.
        params: the Hawkes process; its dimension equals ``len(actions)``.
        actions: the action of each dimension, names from :data:`ACTIONS`.
        depth: ticks behind the same-side touch of limit orders.
        sizes: order sizes.
        initial_price_ticks: reference price while the book is empty.
    """

    def __init__(
        self,
        name: str,
        symbol_id: int,
        population: int,
        params: HawkesParams,
        actions: tuple[str, ...],
        depth: DepthDistribution,
        sizes: SizeDistribution,
        initial_price_ticks: int,
    ) -> None:
        super().__init__(name, symbol_id, population)
        self.params = params
        self.actions = actions
        self.depth = depth
        self.sizes = sizes
        self.initial_price_ticks = initial_price_ticks
        self._action_of_mark = np.array([ACTIONS.index(a) for a in actions], dtype=np.int64)
        self.counts = {a: 0 for a in ACTIONS}
        self._orders: dict[int, list[int]] = {1: [], -1: []}
        self._where: dict[int, tuple[int, int]] = {}
        self._pending_side = 0

    def bind(
        self, venue: FlowVenue, rng: np.random.Generator, start_ns: int, end_ns: int, band: tuple[int, int]
    ) -> None:
        """Simulate the event times of the whole session."""
        self._venue = venue
        self._rng = rng
        self._band = band
        self._last_bid = self.initial_price_ticks - 1
        self._last_ask = self.initial_price_ticks + 1
        times_s, marks = simulate(self.params, (end_ns - start_ns) * 1e-9, rng)
        self._times_ns = start_ns + np.floor(times_s * 1e9).astype(np.int64)
        self._marks = self._action_of_mark[marks]

    def block(self, t0_ns: int, t1_ns: int) -> np.ndarray:
        """Return the simulated arrivals in ``[t0_ns, t1_ns)`` and draw their marks."""
        lo, hi = np.searchsorted(self._times_ns, [t0_ns, t1_ns], side="left")
        n = int(hi - lo)
        rng = self._rng
        self._action = self._marks[lo:hi].tolist()
        self._depth = self.depth.draw(rng, n).tolist()
        self._qty = self.sizes.draw(rng, n).tolist()
        self._owner = (self.first_owner_id + rng.integers(0, self.population, n)).tolist()
        self._pick = rng.random(n).tolist()
        return self._times_ns[lo:hi]

    def act(self, j: int, t_ns: int) -> None:
        """Send the order of arrival ``j``."""
        action = self._action[j]
        venue = self._venue
        sym = self.symbol_id
        if action == _LIMIT_BID or action == _LIMIT_ASK:
            bid_px, bid_qty, _, ask_px, ask_qty, _ = venue.l1_now[sym]
            if bid_qty:
                self._last_bid = bid_px
            if ask_qty:
                self._last_ask = ask_px
            if action == _LIMIT_BID:
                side = 1
                ref = bid_px if bid_qty else (ask_px - 1 if ask_qty else self._last_bid)
                px = max(ref - self._depth[j], self._band[0])
            else:
                side = -1
                ref = ask_px if ask_qty else (bid_px + 1 if bid_qty else self._last_ask)
                px = min(ref + self._depth[j], self._band[1])
            self._pending_side = side
            self.counts[ACTIONS[action]] += 1
            venue.new_order(t_ns, sym, side, _LIMIT, _GTC, px, self._qty[j], self._owner[j])
            self._pending_side = 0
        elif action == _MARKET_BUY or action == _MARKET_SELL:
            self.counts[ACTIONS[action]] += 1
            side = 1 if action == _MARKET_BUY else -1
            venue.new_order(t_ns, sym, side, _MARKET, _IOC, 0, self._qty[j], self._owner[j])
        else:
            self._cancel(action, self._pick[j], t_ns)

    def _cancel(self, action: int, u: float, t_ns: int) -> None:
        bids, asks = self._orders[1], self._orders[-1]
        pool = bids if action == _CANCEL_BID else asks if action == _CANCEL_ASK else None
        if pool is None:
            total = len(bids) + len(asks)
            if not total:
                return
            k = min(int(u * total), total - 1)
            order_id = bids[k] if k < len(bids) else asks[k - len(bids)]
        else:
            if not pool:
                return
            order_id = pool[min(int(u * len(pool)), len(pool) - 1)]
        owner = self._where[order_id][1]
        self._forget(order_id)
        self.counts[ACTIONS[action]] += 1
        self._venue.cancel(t_ns, self.symbol_id, order_id, owner)

    def on_rest(self, order_id: int, owner_id: int, t_ns: int) -> None:
        """Track a new limit order of the flow."""
        side = self._pending_side
        if side:
            pool = self._orders[side]
            self._where[order_id] = (side, owner_id, len(pool))
            pool.append(order_id)

    def on_gone(self, order_id: int) -> None:
        """Forget an order that left the book."""
        if order_id in self._where:
            self._forget(order_id)

    def _forget(self, order_id: int) -> None:
        side, _, pos = self._where.pop(order_id)
        pool = self._orders[side]
        last = pool.pop()
        if last != order_id:
            pool[pos] = last
            s, o, _ = self._where[last]
            self._where[last] = (s, o, pos)

    @property
    def live_orders(self) -> int:
        """Number of the flow's orders resting now."""
        return len(self._where)
