"""Market makers: Avellaneda-Stoikov, Gueant-Lehalle-Fernandez-Tapia, Cartea-Jaimungal-Penalva. Cold path.

Each maker keeps at most one bid and one ask of ``order_qty`` shares and requotes on every L1 change,
on every own fill and every ``requote_interval_ns``. The optimal quotes come from the closed forms of
:mod:`hftsim.trading.models`; prices are converted to integer ticks, rounded away from the mid (bid down,
ask up) and kept off the market's opposite touch (a skewed ask may go below the mid, never to the bid).

Units: prices and depths in ticks, time in seconds for the models (``sigma`` in ticks per sqrt(s),
arrival rates per second, decays per tick), and the models' inventory ``q`` in lots of ``order_qty``
(``q = position / order_qty``). The reference mid leaves out the maker's own quotes when they alone
make the touch (an L1 has no deeper level, so the last market price of that side is kept); otherwise a
skewed maker alone at the touch would chase its own quotes.
"""

from __future__ import annotations

import math

import numpy as np

from hftsim.book.views import L1
from hftsim.core.enums import Side
from hftsim.core.messages import Event, OrderFilled
from hftsim.trading.models import as_optimal_quotes, cjp_depths, glft_exact_depths
from hftsim.trading.models._validation import require_int_at_least, require_non_negative, require_positive
from hftsim.trading.oms import OmsOrder, RiskRejected
from hftsim.trading.strategies.base import Strategy

__all__ = ["AvellanedaStoikovMaker", "CarteaJaimungalMaker", "GlftMaker", "QuotingStrategy"]

_REQUOTE_TIMER = 1


class QuotingStrategy(Strategy):
    """Base of the makers: one bid and one ask, requoted toward :meth:`quote_prices`.

    Args:
        name: agent name.
        order_qty: shares per quote (and the model's inventory unit).
        horizon_s: the model horizon ``T`` in seconds from the start (time left is clamped at 0).
        requote_interval_ns: timer period for requoting (0: only on market data and fills).
        max_inventory: no new bid (ask) when a fill would take the position above (below) this
            many shares in absolute value (None: no bound beyond the model's own).
        **kwargs: passed to :class:`Strategy` (``symbol_id``, ``risk``, ``fees``, ...).
    """

    def __init__(
        self,
        name: str,
        *,
        order_qty: int = 100,
        horizon_s: float = 60.0,
        requote_interval_ns: int = 100_000_000,
        max_inventory: int | None = None,
        **kwargs,
    ) -> None:
        super().__init__(name, **kwargs)
        self.order_qty = require_int_at_least("order_qty", order_qty, 1)
        self.horizon_s = require_positive("horizon_s", horizon_s)
        self.requote_interval_ns = require_int_at_least("requote_interval_ns", requote_interval_ns, 0)
        if max_inventory is not None:
            max_inventory = require_int_at_least("max_inventory", max_inventory, 0)
        self.max_inventory = max_inventory
        self.start_ns = 0
        self.requote_count = 0
        self._quotes: dict[int, OmsOrder | None] = {Side.BUY: None, Side.SELL: None}
        self._ref = {Side.BUY: None, Side.SELL: None}

    # ------------------------------------------------------------------ model

    def quote_prices(
        self, mid_ticks: float, inventory_lots: float, time_left_s: float
    ) -> tuple[float | None, float | None]:
        """Return the model's ``(bid, ask)`` in (fractional) ticks; None means: no quote on that side."""
        raise NotImplementedError

    # ------------------------------------------------------------------ hooks

    def handle_start(self) -> None:
        self.start_ns = self.now_ns()
        self.requote()
        if self.requote_interval_ns:
            self.ctx.set_timer(self.start_ns + self.requote_interval_ns, _REQUOTE_TIMER)

    def handle_l1(self, l1: L1) -> None:
        if l1.symbol_id == self.symbol_id:
            self.requote(l1)

    def handle_timer(self, timer_id: int) -> None:
        if timer_id == _REQUOTE_TIMER:
            self.requote()
            self.ctx.set_timer(self.now_ns() + self.requote_interval_ns, _REQUOTE_TIMER)

    def handle_order(self, order: OmsOrder, event: Event | RiskRejected) -> None:
        if isinstance(event, OrderFilled):
            self.requote()

    def handle_stop(self) -> None:
        self.oms.cancel_all()

    # ------------------------------------------------------------------ quoting

    def reference_mid(self, l1: L1 | None = None) -> float | None:
        """The market mid without the maker's own quotes when they alone make the touch."""
        l1 = l1 if l1 is not None else self.ctx.l1(self.symbol_id)
        for side, px, qty in (
            (Side.BUY, l1.bid_px_ticks, l1.bid_qty),
            (Side.SELL, l1.ask_px_ticks, l1.ask_qty),
        ):
            own = self._quotes[side]
            is_own_touch = own is not None and own.is_open and own.price_ticks == px and own.leaves_qty >= qty
            if qty > 0 and not is_own_touch:
                self._ref[side] = px
        bid, ask = self._ref[Side.BUY], self._ref[Side.SELL]
        if bid is None or ask is None or bid >= ask:
            return None
        return (bid + ask) / 2

    def time_left_s(self) -> float:
        """Seconds left to the model horizon, clamped at 0."""
        return max(0.0, self.horizon_s - (self.now_ns() - self.start_ns) / 1e9)

    def requote(self, l1: L1 | None = None) -> None:
        """Move the bid and the ask to the model's prices (new, replace or cancel as needed)."""
        mid = self.reference_mid(l1)
        if mid is None:
            return
        position = self.oms.position(self.symbol_id)
        bid, ask = self.quote_prices(mid, position / self.order_qty, self.time_left_s())
        limit = self.max_inventory
        if limit is not None:
            bid = None if position + self.order_qty > limit else bid
            ask = None if position - self.order_qty < -limit else ask
        self.requote_count += 1
        # rounded away from the reservation price, never crossing the market's opposite touch
        bid_ticks = None if bid is None else min(math.floor(bid + 1e-9), self._ref[Side.SELL] - 1)
        ask_ticks = None if ask is None else max(math.ceil(ask - 1e-9), self._ref[Side.BUY] + 1)
        self._work(Side.BUY, bid_ticks)
        self._work(Side.SELL, ask_ticks)

    def _work(self, side: Side, price_ticks: int | None) -> None:
        order = self._quotes[side]
        if price_ticks is None or price_ticks < 1:
            if order is not None and order.is_open:
                self.oms.cancel(order.client_order_id)
            return
        if order is None or not order.is_open:
            self._quotes[side] = self.oms.submit(side, price_ticks, self.order_qty, symbol_id=self.symbol_id)
        elif order.is_live and order.price_ticks != price_ticks:
            self.oms.replace(order.client_order_id, price_ticks, self.order_qty)

    def quotes(self) -> tuple[OmsOrder | None, OmsOrder | None]:
        """The current bid and ask orders (possibly done)."""
        return self._quotes[Side.BUY], self._quotes[Side.SELL]


class AvellanedaStoikovMaker(QuotingStrategy):
    """Avellaneda & Stoikov (2008): the optimal spread centred on the reservation price.

    ``r = s - q gamma sigma^2 (T - t)``, spread ``gamma sigma^2 (T - t) + (2/gamma) ln(1 + gamma/k)``
    (see :mod:`hftsim.trading.models.avellaneda_stoikov`).

    Args:
        gamma: risk aversion > 0 (per tick, with ``q`` in lots).
        sigma: mid volatility >= 0, ticks per sqrt(second).
        arrival_decay: ``k`` > 0, per tick.
        **kwargs: :class:`QuotingStrategy` parameters.
    """

    def __init__(
        self, name: str, *, gamma: float = 0.1, sigma: float = 1.0, arrival_decay: float = 1.5, **kwargs
    ) -> None:
        self.gamma = require_positive("gamma", gamma)
        self.sigma = require_non_negative("sigma", sigma)
        self.arrival_decay = require_positive("arrival_decay", arrival_decay)
        super().__init__(name, **kwargs)

    def quote_prices(
        self, mid_ticks: float, inventory_lots: float, time_left_s: float
    ) -> tuple[float, float]:
        bid, ask = as_optimal_quotes(
            mid_ticks, inventory_lots, self.gamma, self.sigma, time_left_s, self.arrival_decay
        )
        return float(bid), float(ask)


class _DepthTableMaker(QuotingStrategy):
    """A maker whose depths come from a per-inventory table, recomputed on a grid of time left."""

    def __init__(self, name: str, *, depth_grid_s: float | None = None, **kwargs) -> None:
        super().__init__(name, **kwargs)
        grid = self.horizon_s / 100 if depth_grid_s is None else depth_grid_s
        self.depth_grid_s = require_positive("depth_grid_s", grid)
        self._table_key: int | None = None
        self._table: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None

    def depth_table(self, time_left_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Return ``(inventories, bid_depths, ask_depths)`` at ``time_left_s``; NaN means no quote."""
        raise NotImplementedError

    def quote_prices(
        self, mid_ticks: float, inventory_lots: float, time_left_s: float
    ) -> tuple[float | None, float | None]:
        key = math.ceil(time_left_s / self.depth_grid_s)
        if key != self._table_key:
            self._table_key = key
            self._table = self.depth_table(key * self.depth_grid_s)
        inventories, bid_depths, ask_depths = self._table
        q = int(round(inventory_lots))
        if q < inventories[0] or q > inventories[-1]:
            # beyond the model's bounds: only trade back toward them
            edge = 0 if q < inventories[0] else -1
            bid = mid_ticks - bid_depths[edge] if q < inventories[0] else None
            ask = mid_ticks + ask_depths[edge] if q > inventories[-1] else None
            return bid, ask
        i = q - int(inventories[0])
        bid_depth, ask_depth = bid_depths[i], ask_depths[i]
        return (
            None if np.isnan(bid_depth) else mid_ticks - float(bid_depth),
            None if np.isnan(ask_depth) else mid_ticks + float(ask_depth),
        )


class GlftMaker(_DepthTableMaker):
    """Gueant, Lehalle & Fernandez-Tapia (2013) with inventory limits ``-Q..Q`` (exact depths).

    No bid is quoted at ``q = Q`` and no ask at ``q = -Q`` (see :mod:`hftsim.trading.models.glft`).

    Args:
        gamma: risk aversion > 0.
        sigma: mid volatility >= 0, ticks per sqrt(second).
        arrival_scale: ``A`` > 0, fills per second at zero depth.
        arrival_decay: ``k`` > 0, per tick.
        inventory_limit: ``Q`` >= 1, in lots of ``order_qty``.
        depth_grid_s: recompute the depth table when time left crosses a multiple of this.
        **kwargs: :class:`QuotingStrategy` parameters.
    """

    def __init__(
        self,
        name: str,
        *,
        gamma: float = 0.1,
        sigma: float = 1.0,
        arrival_scale: float = 10.0,
        arrival_decay: float = 1.5,
        inventory_limit: int = 5,
        **kwargs,
    ) -> None:
        self.gamma = require_positive("gamma", gamma)
        self.sigma = require_non_negative("sigma", sigma)
        self.arrival_scale = require_positive("arrival_scale", arrival_scale)
        self.arrival_decay = require_positive("arrival_decay", arrival_decay)
        self.inventory_limit = require_int_at_least("inventory_limit", inventory_limit, 1)
        super().__init__(name, **kwargs)

    def depth_table(self, time_left_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return glft_exact_depths(
            time_left_s, self.inventory_limit, self.gamma, self.sigma, self.arrival_scale, self.arrival_decay
        )


class CarteaJaimungalMaker(_DepthTableMaker):
    """Cartea, Jaimungal & Penalva (2015, ch. 10.2): depths with a running inventory penalty ``phi``.

    See :mod:`hftsim.trading.models.cartea_jaimungal`.

    Args:
        kappa: fill-probability decay > 0, per tick.
        lambda_plus: buy market-order rate >= 0, per second (lifts the ask).
        lambda_minus: sell market-order rate >= 0, per second (hits the bid).
        phi: running inventory penalty >= 0.
        alpha: terminal liquidation penalty >= 0.
        inventory_limit: inventory bounds ``-Q..Q`` in lots of ``order_qty``.
        depth_grid_s: recompute the depth table when time left crosses a multiple of this.
        **kwargs: :class:`QuotingStrategy` parameters.
    """

    def __init__(
        self,
        name: str,
        *,
        kappa: float = 1.0,
        lambda_plus: float = 1.0,
        lambda_minus: float = 1.0,
        phi: float = 0.01,
        alpha: float = 0.001,
        inventory_limit: int = 5,
        **kwargs,
    ) -> None:
        self.kappa = require_positive("kappa", kappa)
        self.lambda_plus = require_non_negative("lambda_plus", lambda_plus)
        self.lambda_minus = require_non_negative("lambda_minus", lambda_minus)
        self.phi = require_non_negative("phi", phi)
        self.alpha = require_non_negative("alpha", alpha)
        self.inventory_limit = require_int_at_least("inventory_limit", inventory_limit, 1)
        super().__init__(name, **kwargs)

    def depth_table(self, time_left_s: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        q, ask, bid = cjp_depths(
            time_left_s,
            self.kappa,
            self.lambda_plus,
            self.lambda_minus,
            self.phi,
            self.alpha,
            -self.inventory_limit,
            self.inventory_limit,
        )
        return q, bid, ask
