"""Zero-intelligence order flow after Smith, Farmer, Gillemot & Krishnamurthy (2003). Hot path (act).

Model (Smith et al. 2003, "Statistical theory of the continuous double auction", Quantitative
Finance 3(6); Daniels et al. 2003): each of ``N`` traders independently sends

* limit orders as a Poisson process of rate ``limit_rate`` (buy or sell with probability 1/2),
  priced ``k`` ticks away from the *opposite* best quote, ``k >= 1`` drawn from the placement
  distribution (uniform on ``[1, max_offset_ticks]`` by default), so a limit order never crosses
  but may improve its own side's best quote;
* market orders as a Poisson process of rate ``market_rate`` (buy or sell with probability 1/2);
* cancellations: every resting order is canceled at rate ``cancel_rate`` (per order per second),
  i.e. it gets an exponential lifetime of mean ``1 / cancel_rate`` when it rests.

Sizes are ``size`` shares, or uniform on ``[size, size_max]``.

Superposition: the ``N`` traders are simulated as one stream. The superposition of independent
Poisson processes of rates ``lambda_k`` is a Poisson process of rate ``sum lambda_k``, and given an
event, it came from trader ``k`` with probability ``lambda_k / sum lambda`` independently of
everything else (the thinning/colouring theorem; Kingman 1993, "Poisson Processes", ch. 2 and 5). All
traders have the same rates here, so the stream has rate ``N (limit_rate + market_rate)`` and each
event is assigned to a uniformly random trader. Cancellation hazards are per order, so they do not
depend on the owner. The only use of the owner is the venue's owner id (self-trade prevention and
reports). This is exactly the law of ``N`` separate agents, at the cost of one stream.

Arrivals are pre-generated per window: ``n ~ Poisson(rate * window)`` times, uniform and sorted
(the order statistics of a Poisson process on an interval), with all per-event draws (side, type,
offset, size, owner, lifetime) made in the same vectorised call.
"""

from __future__ import annotations

import numpy as np

from hftsim.core.enums import OrderType, TimeInForce
from hftsim.flow.source import DepthDistribution, FlowSource, FlowVenue, SizeDistribution

__all__ = ["ZeroIntelligenceFlow"]

_LIMIT = int(OrderType.LIMIT)
_MARKET = int(OrderType.MARKET)
_GTC = int(TimeInForce.GTC)
_IOC = int(TimeInForce.IOC)


class ZeroIntelligenceFlow(FlowSource):
    """A population of zero-intelligence traders as one superposed stream.

    Args:
        name: flow name (RNG stream ``flow.<name>``).
        symbol_id: symbol traded.
        population: number of traders ``N``.
        limit_rate: limit orders per second per trader (both sides).
        market_rate: market orders per second per trader (both sides).
        cancel_rate: cancellation rate per resting order per second (0: never canceled).
        placement: offset in ticks from the opposite best quote (minimum 1).
        sizes: order sizes.
        initial_price_ticks: reference price while the book is empty.
    """

    def __init__(
        self,
        name: str,
        symbol_id: int,
        population: int,
        limit_rate: float,
        market_rate: float,
        cancel_rate: float,
        placement: DepthDistribution,
        sizes: SizeDistribution,
        initial_price_ticks: int,
    ) -> None:
        super().__init__(name, symbol_id, population)
        self.limit_rate = limit_rate
        self.market_rate = market_rate
        self.cancel_rate = cancel_rate
        self.placement = placement
        self.sizes = sizes
        self.initial_price_ticks = initial_price_ticks
        self.counts = {"limit": 0, "market": 0, "cancel": 0}
        self._live: dict[int, int] = {}
        self._lifetime_ns: dict[int, int] = {}

    def bind(
        self, venue: FlowVenue, rng: np.random.Generator, start_ns: int, end_ns: int, band: tuple[int, int]
    ) -> None:
        """Attach to the kernel."""
        self._venue = venue
        self._rng = rng
        self._band = band
        self._last_bid = self.initial_price_ticks - 1
        self._last_ask = self.initial_price_ticks + 1
        self._pending_life: int | None = None

    def block(self, t0_ns: int, t1_ns: int) -> np.ndarray:
        """Draw the arrivals of ``[t0_ns, t1_ns)`` and their marks."""
        rng = self._rng
        rate = self.population * (self.limit_rate + self.market_rate)
        n = int(rng.poisson(rate * (t1_ns - t0_ns) * 1e-9))
        times = np.sort(rng.integers(t0_ns, t1_ns, n))
        is_market = rng.random(n) * (self.limit_rate + self.market_rate) < self.market_rate
        self._is_market = is_market.tolist()
        self._side = np.where(rng.random(n) < 0.5, 1, -1).tolist()
        self._offset = self.placement.draw(rng, n).tolist()
        self._qty = self.sizes.draw(rng, n).tolist()
        self._owner = (self.first_owner_id + rng.integers(0, self.population, n)).tolist()
        if self.cancel_rate > 0:
            self._life = np.maximum(1, rng.exponential(1e9 / self.cancel_rate, n).astype(np.int64)).tolist()
        else:
            self._life = None
        return times

    def act(self, j: int, t_ns: int) -> None:
        """Send arrival ``j``: a market order, or a limit order off the opposite best."""
        side = self._side[j]
        venue = self._venue
        if self._is_market[j]:
            self.counts["market"] += 1
            self._pending_life = None
            venue.new_order(t_ns, self.symbol_id, side, _MARKET, _IOC, 0, self._qty[j], self._owner[j])
            return
        self.counts["limit"] += 1
        bid_px, bid_qty, _, ask_px, ask_qty, _ = venue.l1_now[self.symbol_id]
        if bid_qty:
            self._last_bid = bid_px
        if ask_qty:
            self._last_ask = ask_px
        if side == 1:
            ref = ask_px if ask_qty else (bid_px + 1 if bid_qty else self._last_ask)
            px = max(ref - self._offset[j], self._band[0])
        else:
            ref = bid_px if bid_qty else (ask_px - 1 if ask_qty else self._last_bid)
            px = min(ref + self._offset[j], self._band[1])
        self._pending_life = self._life[j] if self._life is not None else None
        venue.new_order(t_ns, self.symbol_id, side, _LIMIT, _GTC, px, self._qty[j], self._owner[j])

    def on_rest(self, order_id: int, owner_id: int, t_ns: int) -> None:
        """Track a new order of the flow and schedule its cancellation."""
        self._live[order_id] = owner_id
        if self._pending_life is not None:
            self._venue.schedule(t_ns + self._pending_life, self.index, order_id)

    def on_gone(self, order_id: int) -> None:
        """Forget an order that left the book."""
        self._live.pop(order_id, None)

    def on_timer(self, order_id: int, t_ns: int) -> None:
        """The order's lifetime ended: cancel it if it still rests."""
        owner = self._live.pop(order_id, None)
        if owner is not None:
            self.counts["cancel"] += 1
            self._venue.cancel(t_ns, self.symbol_id, order_id, owner)

    @property
    def live_orders(self) -> int:
        """Number of the flow's orders resting now."""
        return len(self._live)
