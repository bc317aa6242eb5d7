"""Execution algorithms: slice a parent order into child orders along a schedule. Cold path.

Every executor works one parent order (``side``, ``qty`` shares, from ``start_ns`` over ``horizon_s``).
At slice ``k`` it sends one marketable IOC child for ``target[k] - (filled + working)``, priced at the far
touch plus ``limit_offset_ticks``, where ``target`` is the integer cumulative schedule (non-decreasing,
ending at ``qty``; rounding never drifts because the cumulative target is rounded, not each slice). What
a child does not fill is carried into the next slice. The schedules:

* TWAP: equal slices; VWAP: slices in proportion to a given volume profile;
* POV: a fraction of the market volume traded since the start (own fills excluded), checked every slice;
* Almgren-Chriss: after slice ``k`` the holdings follow ``x_{k+1}`` of the mean-variance optimal trajectory;
* Obizhaeva-Wang: the discrete optimal blocks (equal end blocks, a flat rate in between);
* Gatheral-Schied: the optimum of the transient-impact quadratic program for a power-law kernel.

:meth:`Executor.report` gives the per-parent :class:`ExecutionReport`: slippage of the average fill and
implementation shortfall (Perold 1988) against the arrival mid.
"""

from __future__ import annotations

import msgspec
import numpy as np

from hftsim.book.views import L1
from hftsim.core.enums import Side, TimeInForce
from hftsim.core.errors import ConfigError
from hftsim.core.messages import Event, Trade
from hftsim.trading.models import (
    ac_optimal_trajectory,
    ow_discrete_schedule,
    power_law_kernel,
    transient_optimal_schedule,
)
from hftsim.trading.models._validation import require_int_at_least, require_non_negative, require_positive
from hftsim.trading.oms import UNITS_PER_TICK, OmsOrder, RiskRejected
from hftsim.trading.strategies.base import Strategy, parse_side

__all__ = [
    "AlmgrenChrissExecutor",
    "ExecutionReport",
    "Executor",
    "GatheralSchiedExecutor",
    "ObizhaevaWangExecutor",
    "PovExecutor",
    "TwapExecutor",
    "VwapExecutor",
    "cumulative_targets",
]


class ExecutionReport(msgspec.Struct, frozen=True, kw_only=True):
    """How a parent order was executed. Costs are positive when they hurt; ticks are tick-shares
    unless marked per share.

    Attributes:
        agent: the executor's name.
        side: +1 buy, -1 sell.
        target_qty, filled_qty: shares asked and obtained.
        child_orders: child orders sent.
        avg_fill_ticks: average fill price (None without fills).
        arrival_mid_ticks: mid when the parent started (the benchmark).
        final_mid_ticks: mid at the report (prices the unfilled rest).
        slippage_ticks_per_share: ``side * (avg_fill - arrival_mid)``.
        fees_units: fees of the children, fee units.
        implementation_shortfall_ticks: ``side * (sum fills - filled * arrival) + fees +
            side * (final_mid - arrival) * unfilled`` (execution cost plus opportunity cost).
        shortfall_bps: the shortfall over the arrival value of the target, in basis points.
        is_complete: the whole parent filled.
        start_ns, last_fill_ns: parent start and last child fill.
    """

    agent: str
    side: int
    target_qty: int
    filled_qty: int
    child_orders: int
    avg_fill_ticks: float | None
    arrival_mid_ticks: float | None
    final_mid_ticks: float | None
    slippage_ticks_per_share: float | None
    fees_units: int
    implementation_shortfall_ticks: float | None
    shortfall_bps: float | None
    is_complete: bool
    start_ns: int
    last_fill_ns: int


_ARRIVAL_TIMER = -1


def cumulative_targets(weights: np.ndarray, qty: int) -> np.ndarray:
    """Return integer cumulative targets after each slice, in proportion to ``weights``, ending at ``qty``.

    Raises:
        ConfigError: a weight is negative or they sum to zero.
    """
    w = np.asarray(weights, dtype=float)
    if w.ndim != 1 or w.size == 0 or np.any(w < 0) or not np.isfinite(w).all() or w.sum() <= 0:
        raise ConfigError(f"slice weights must be finite, >= 0 and not all 0, found {w.tolist()!r}")
    targets = np.rint(qty * np.cumsum(w) / w.sum()).astype(np.int64)
    targets[-1] = qty
    return np.maximum.accumulate(np.minimum(targets, qty))


class Executor(Strategy):
    """Base of the execution algorithms: one parent order worked by IOC children.

    Args:
        name: agent name.
        side: ``"buy"`` or ``"sell"``.
        qty: parent quantity, shares >= 1.
        horizon_s: seconds from start to the last slice, > 0.
        n_slices: number of child slices >= 1.
        start_ns: simulated time of the first slice (not before the session start).
        limit_offset_ticks: how far past the far touch a child may trade, >= 0.
        **kwargs: passed to :class:`Strategy`.
    """

    def __init__(
        self,
        name: str,
        *,
        side: str = "buy",
        qty: int = 1_000,
        horizon_s: float = 60.0,
        n_slices: int = 10,
        start_ns: int = 0,
        limit_offset_ticks: int = 1,
        **kwargs,
    ) -> None:
        super().__init__(name, **kwargs)
        self.side = parse_side(side)
        self.qty = require_int_at_least("qty", qty, 1)
        self.horizon_s = require_positive("horizon_s", horizon_s)
        self.n_slices = require_int_at_least("n_slices", n_slices, 1)
        self.start_ns = require_int_at_least("start_ns", start_ns, 0)
        self.limit_offset_ticks = require_int_at_least("limit_offset_ticks", limit_offset_ticks, 0)
        self.targets = cumulative_targets(self.slice_weights(), self.qty)
        self.slice_times_ns = self.start_ns + np.rint(self.slice_offsets_s() * 1e9).astype(np.int64)
        self.arrival_mid_ticks: float | None = None
        self.children: list[OmsOrder] = []
        self.slice_index = 0
        self.last_fill_ns = 0

    # ------------------------------------------------------------------ schedule

    def slice_weights(self) -> np.ndarray:
        """Relative size of each slice (length ``n_slices``)."""
        return np.ones(self.n_slices)

    def slice_offsets_s(self) -> np.ndarray:
        """Seconds from start of each slice: ``k T / n`` (the last slice one interval before the end)."""
        return np.arange(self.n_slices) * (self.horizon_s / self.n_slices)

    # ------------------------------------------------------------------ hooks

    def handle_l1(self, l1) -> None:
        # The arrival benchmark is the first two-sided mid at or after the start: a parent that
        # starts before the book has both sides (a session's first instant) takes the first one seen.
        if self.arrival_mid_ticks is None and self.now_ns() >= self.start_ns and l1.mid_ticks is not None:
            self.arrival_mid_ticks = l1.mid_ticks

    def handle_start(self) -> None:
        now = self.now_ns()
        self.ctx.set_timer(max(self.start_ns, now), _ARRIVAL_TIMER)
        self.ctx.set_timer(max(int(self.slice_times_ns[0]), now), 0)

    def handle_timer(self, timer_id: int) -> None:
        if timer_id == _ARRIVAL_TIMER:
            self.arrival_mid_ticks = self.ctx.l1(self.symbol_id).mid_ticks
            return
        k = self.slice_index
        if k >= self.n_slices:
            return
        self.work_toward(int(self.targets[k]))
        self.slice_index = k + 1
        if k + 1 < self.n_slices:
            self.ctx.set_timer(max(int(self.slice_times_ns[k + 1]), self.now_ns()), k + 1)

    def handle_order(self, order: OmsOrder, event: Event | RiskRejected) -> None:
        if order.filled_qty and order.updated_ns > self.last_fill_ns:
            self.last_fill_ns = order.updated_ns

    # ------------------------------------------------------------------ children

    @property
    def filled_qty(self) -> int:
        """Shares of the parent filled so far."""
        return sum(c.filled_qty for c in self.children)

    def working_qty(self) -> int:
        """Open child quantity."""
        return sum(c.leaves_qty for c in self.children if c.is_open)

    def work_toward(self, target_qty: int) -> OmsOrder | None:
        """Send one marketable IOC child for what is missing to reach ``target_qty`` filled."""
        child_qty = min(target_qty, self.qty) - self.filled_qty - self.working_qty()
        if child_qty <= 0:
            return None
        l1 = self.ctx.l1(self.symbol_id)
        price = self._limit_price(l1)
        if price is None:
            return None  # nothing to trade against: carried into the next slice
        child = self.oms.submit(self.side, price, child_qty, symbol_id=self.symbol_id, tif=TimeInForce.IOC)
        self.children.append(child)
        return child

    def _limit_price(self, l1: L1) -> int | None:
        if self.side is Side.BUY:
            return l1.ask_px_ticks + self.limit_offset_ticks if l1.ask_qty > 0 else None
        if l1.bid_qty <= 0:
            return None
        return max(1, l1.bid_px_ticks - self.limit_offset_ticks)

    # ------------------------------------------------------------------ report

    def report(self) -> ExecutionReport:
        """Return the execution report of the parent order so far."""
        filled = self.filled_qty
        notional = sum(c.filled_notional_ticks for c in self.children)
        fees = self.oms.holding(self.symbol_id).fees_units
        side = int(self.side)
        arrival = self.arrival_mid_ticks
        final = self.ctx.l1(self.symbol_id).mid_ticks if self.ctx is not None else None
        final = final if final is not None else self.oms.mid(self.symbol_id)
        avg = notional / filled if filled else None
        slippage = side * (avg - arrival) if avg is not None and arrival is not None else None
        shortfall = bps = None
        if arrival is not None:
            unfilled = self.qty - filled
            opportunity = side * ((final if final is not None else arrival) - arrival) * unfilled
            shortfall = side * (notional - filled * arrival) + fees / UNITS_PER_TICK + opportunity
            bps = shortfall / (self.qty * arrival) * 1e4
        return ExecutionReport(
            agent=self.name,
            side=side,
            target_qty=self.qty,
            filled_qty=filled,
            child_orders=len(self.children),
            avg_fill_ticks=avg,
            arrival_mid_ticks=arrival,
            final_mid_ticks=final,
            slippage_ticks_per_share=slippage,
            fees_units=fees,
            implementation_shortfall_ticks=shortfall,
            shortfall_bps=bps,
            is_complete=filled == self.qty,
            start_ns=self.start_ns,
            last_fill_ns=self.last_fill_ns,
        )


class TwapExecutor(Executor):
    """Time-weighted average price: ``n_slices`` equal slices over the horizon."""


class VwapExecutor(Executor):
    """Volume-weighted average price: slices in proportion to ``volume_profile``.

    Args:
        volume_profile: expected market volume per slice (any positive scale); its length sets ``n_slices``.
        **kwargs: :class:`Executor` parameters.
    """

    def __init__(
        self, name: str, *, volume_profile: list[float] | tuple[float, ...] = (1.0,), **kwargs
    ) -> None:
        profile = np.asarray(volume_profile, dtype=float)
        if profile.ndim != 1 or profile.size == 0:
            raise ConfigError(f"volume_profile must be a non-empty list of numbers, found {volume_profile!r}")
        self.volume_profile = profile
        kwargs.setdefault("n_slices", int(profile.size))
        if kwargs["n_slices"] != profile.size:
            raise ConfigError(
                f"n_slices ({kwargs['n_slices']}) must equal len(volume_profile) ({profile.size})"
            )
        super().__init__(name, **kwargs)

    def slice_weights(self) -> np.ndarray:
        return self.volume_profile


class PovExecutor(Executor):
    """Percentage of volume: keep filled quantity at ``participation`` of the market volume since start.

    Market volume counts the trades of the symbol that do not involve this executor's orders. At each
    slice the target is ``floor(participation * market_volume)``, capped at ``qty``; a last slice at the
    end of the horizon does the same (POV does not force completion).

    Args:
        participation: target share of market volume, in (0, 1].
        **kwargs: :class:`Executor` parameters (``n_slices`` sets the checking frequency).
    """

    def __init__(self, name: str, *, participation: float = 0.1, **kwargs) -> None:
        rate = require_positive("participation", participation)
        if rate > 1:
            raise ConfigError(f"participation must be in (0, 1], found participation={participation!r}")
        self.participation = rate
        self.market_volume = 0
        super().__init__(name, **kwargs)

    def slice_offsets_s(self) -> np.ndarray:
        return np.arange(1, self.n_slices + 1) * (self.horizon_s / self.n_slices)

    def handle_trade(self, trade: Trade) -> None:
        if trade.symbol_id != self.symbol_id or self.now_ns() < self.start_ns:
            return
        if self.oms.owns_order_id(trade.resting_order_id) or self.oms.owns_order_id(trade.aggressor_order_id):
            return
        self.market_volume += trade.qty

    def handle_timer(self, timer_id: int) -> None:
        if timer_id != _ARRIVAL_TIMER:
            self.targets[self.slice_index :] = min(self.qty, int(self.participation * self.market_volume))
        super().handle_timer(timer_id)


class AlmgrenChrissExecutor(Executor):
    """Almgren & Chriss (2000): after slice ``k`` the remaining holdings are ``x_{k+1}`` of the optimal
    trajectory with ``N = n_slices`` periods of ``tau = horizon_s / n_slices``.

    Args:
        sigma: volatility >= 0, ticks per share per sqrt(second).
        eta: temporary impact > 0, ticks per (share per second).
        gamma: permanent impact >= 0, ticks per share.
        risk_aversion: ``lambda`` >= 0.
        **kwargs: :class:`Executor` parameters.
    """

    def __init__(
        self,
        name: str,
        *,
        sigma: float = 1.0,
        eta: float = 0.01,
        gamma: float = 0.0,
        risk_aversion: float = 1e-4,
        **kwargs,
    ) -> None:
        self.sigma = require_non_negative("sigma", sigma)
        self.eta = require_positive("eta", eta)
        self.gamma = require_non_negative("gamma", gamma)
        self.risk_aversion = require_non_negative("risk_aversion", risk_aversion)
        super().__init__(name, **kwargs)

    def trajectory(self):
        """The model's trajectory for this parent (holdings ``x_0..x_N``)."""
        return ac_optimal_trajectory(
            self.qty,
            self.n_slices,
            self.horizon_s / self.n_slices,
            self.sigma,
            self.eta,
            self.gamma,
            self.risk_aversion,
        )

    def slice_weights(self) -> np.ndarray:
        return np.maximum(self.trajectory().trades, 0.0)


class ObizhaevaWangExecutor(Executor):
    """Obizhaeva & Wang (2013): the discrete optimal blocks at ``t_n = n T / N``, ``n = 0..N`` with
    ``N = n_slices - 1`` (the last block at the end of the horizon).

    Args:
        resilience: ``rho`` >= 0, per second.
        **kwargs: :class:`Executor` parameters (``n_slices`` >= 2).
    """

    def __init__(self, name: str, *, resilience: float = 0.1, **kwargs) -> None:
        self.resilience = require_non_negative("resilience", resilience)
        if kwargs.get("n_slices", 10) < 2:
            raise ConfigError(
                f"n_slices must be >= 2 for Obizhaeva-Wang, found n_slices={kwargs['n_slices']!r}"
            )
        super().__init__(name, **kwargs)

    def slice_weights(self) -> np.ndarray:
        return ow_discrete_schedule(self.qty, self.horizon_s, self.resilience, self.n_slices - 1)

    def slice_offsets_s(self) -> np.ndarray:
        return np.linspace(0.0, self.horizon_s, self.n_slices)


class GatheralSchiedExecutor(Executor):
    """Gatheral & Schied: the optimal trades for the kernel ``G(t) = (1 + t / time_scale_s)^-exponent``
    at the slice times (negative trades, which a one-sided parent cannot make, are dropped).

    Args:
        exponent: ``beta`` > 0.
        time_scale_s: ``t0`` > 0, seconds.
        **kwargs: :class:`Executor` parameters.
    """

    def __init__(self, name: str, *, exponent: float = 0.5, time_scale_s: float = 1.0, **kwargs) -> None:
        self.exponent = require_positive("exponent", exponent)
        self.time_scale_s = require_positive("time_scale_s", time_scale_s)
        super().__init__(name, **kwargs)

    def slice_weights(self) -> np.ndarray:
        kernel = power_law_kernel(self.exponent, self.time_scale_s)
        return np.maximum(transient_optimal_schedule(self.qty, self.slice_offsets_s(), kernel), 0.0)
