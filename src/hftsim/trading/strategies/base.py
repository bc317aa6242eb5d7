"""Strategy: an agent that trades only through its OMS. Cold path (the routing itself is hot).

The kernel calls the :class:`~hftsim.sim.agent.Agent` handlers. :class:`Strategy` implements them as a
fixed routing layer and calls the ``handle_*`` hooks a concrete strategy overrides:

========================  ========================================================================
kernel calls              Strategy does
========================  ========================================================================
``on_start(ctx)``         binds the OMS to ``ctx``, then ``handle_start()``
``on_l1(ctx, l1)``        updates the OMS reference mid (collar, marks), samples a PnL mark, then
                          ``handle_l1(l1)``
``on_trade(ctx, t)``      ``handle_trade(t)``
``on_book_delta``         ``handle_book_delta(d)``
``on_timer(ctx, id)``     ``handle_timer(id)``
``on_order_event``        books the event in the OMS first, then ``handle_order(order, event)``
(local risk reject)       ``handle_order(order, RiskRejected)`` (synchronously, from inside the
                          ``oms.submit`` or ``oms.replace`` call)
``on_stop(ctx)``          ``handle_stop()``, then a final PnL mark; no hook is called after it
========================  ========================================================================

Subclasses must not override the ``on_*`` handlers (a TypeError at class creation says so). Once
:meth:`Strategy.halt` is called (by the strategy or by :func:`guarded` after an exception) the hooks are no
longer called, but order events are still booked so the cancels of the open orders are accounted for.
"""

from __future__ import annotations

from typing import Any

from hftsim.book.views import L1
from hftsim.core.enums import Side
from hftsim.core.errors import ConfigError
from hftsim.core.messages import BookDelta, Event, Trade
from hftsim.sim.agent import Agent, AgentContext
from hftsim.trading.oms import Oms, OmsOrder, RiskRejected

__all__ = ["Strategy", "parse_side"]

_SEALED = ("on_start", "on_l1", "on_trade", "on_book_delta", "on_timer", "on_order_event", "on_stop")


def parse_side(side: Any, where: str = "side") -> Side:
    """Return a :class:`Side` from ``"buy"``/``"sell"``, ``1``/``-1`` or a Side (a TOML value)."""
    if isinstance(side, str):
        try:
            return Side[side.strip().upper()]
        except KeyError:
            raise ConfigError(f"{where} must be 'buy' or 'sell', found {side!r}") from None
    if side in (1, -1) and not isinstance(side, bool):
        return Side(side)
    raise ConfigError(f"{where} must be 'buy' or 'sell', found {side!r}")


class Strategy(Agent):
    """Base of every trading strategy: market data in, decisions out through :attr:`oms`.

    Args:
        name: unique agent name (RNG stream, reports).
        symbol_id: the symbol traded (subscribed by default).
        risk: pre-trade limits for the OMS (a mapping as in a TOML table, or ``RiskLimits``).
        fees: the fee schedule (a mapping or ``FeeSchedule``).
        mark_interval_ns: least simulated time between two PnL marks sampled on L1 updates.
        subscriptions: symbols to receive market data for (default: ``(symbol_id,)``).

    Attributes:
        oms: the strategy's order management system.
        ctx: the agent context (set at start).
        is_halted: True after :meth:`halt`; ``halt_reason`` says why.
    """

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        for handler in _SEALED:
            if handler in cls.__dict__:
                hook = "handle_order" if handler == "on_order_event" else "handle_" + handler[3:]
                raise TypeError(
                    f"{cls.__name__} overrides Strategy.{handler}, which routes through the OMS; "
                    f"override {hook} instead"
                )

    def __init__(
        self,
        name: str,
        *,
        symbol_id: int = 0,
        risk: Any = None,
        fees: Any = None,
        mark_interval_ns: int = 100_000_000,
        subscriptions: tuple[int, ...] | None = None,
    ) -> None:
        if not isinstance(symbol_id, int) or symbol_id < 0:
            raise ConfigError(f"{name}: symbol_id must be an integer >= 0, found {symbol_id!r}")
        if not isinstance(mark_interval_ns, int) or mark_interval_ns < 0:
            raise ConfigError(f"{name}: mark_interval_ns must be an integer >= 0, found {mark_interval_ns!r}")
        super().__init__(name, tuple(subscriptions) if subscriptions is not None else (symbol_id,))
        self.symbol_id = symbol_id
        self.oms = Oms(name, risk=risk, fees=fees, on_local_reject=self._on_local_reject)
        self.ctx: AgentContext | None = None
        self.is_halted = False
        self.halt_reason = ""
        self.mark_interval_ns = mark_interval_ns
        self._next_mark_ns = 0

    # ------------------------------------------------------------------ routing (sealed)

    def on_start(self, ctx: AgentContext) -> None:
        self.ctx = ctx
        self.oms.bind(ctx)
        if not self.is_halted:
            self.handle_start()

    def on_l1(self, ctx: AgentContext, l1: L1) -> None:
        if l1.bid_qty > 0 and l1.ask_qty > 0:
            mid = (l1.bid_px_ticks + l1.ask_px_ticks) / 2
            self.oms.update_mid(l1.symbol_id, mid)
            now = ctx.now_ns()
            if now >= self._next_mark_ns:
                self._next_mark_ns = now + self.mark_interval_ns
                self.oms.record_mark(now, l1.symbol_id, mid)
        if not self.is_halted:
            self.handle_l1(l1)

    def wants(self, kind: str) -> bool:
        # market data reaches a strategy through its handle_<kind>: deliver only what it handles
        return getattr(type(self), f"handle_{kind}") is not getattr(Strategy, f"handle_{kind}")

    def on_trade(self, ctx: AgentContext, trade: Trade) -> None:
        if not self.is_halted:
            self.handle_trade(trade)

    def on_book_delta(self, ctx: AgentContext, delta: BookDelta) -> None:
        if not self.is_halted:
            self.handle_book_delta(delta)

    def on_timer(self, ctx: AgentContext, timer_id: int) -> None:
        if not self.is_halted:
            self.handle_timer(timer_id)

    def on_order_event(self, ctx: AgentContext, event: Event) -> None:
        order = self.oms.on_event(event)
        if not self.is_halted:
            self.handle_order(order, event)

    def on_stop(self, ctx: AgentContext) -> None:
        if not self.is_halted:
            self.handle_stop()
            # the session is over: later events (the answers to cancels sent at stop) are booked only
            self.is_halted = True
            self.halt_reason = "stopped"
        now = ctx.now_ns()
        for symbol_id in self.oms.symbols():
            self.oms.record_mark(now, symbol_id)

    def _on_local_reject(self, order: OmsOrder, reject: RiskRejected) -> None:
        if not self.is_halted:
            self.handle_order(order, reject)

    # ------------------------------------------------------------------ hooks

    def handle_start(self) -> None:
        """The session started; ``self.ctx`` and ``self.oms`` are ready."""

    def handle_l1(self, l1: L1) -> None:
        """The top of book of a subscribed symbol changed."""

    def handle_trade(self, trade: Trade) -> None:
        """A trade printed in a subscribed symbol."""

    def handle_book_delta(self, delta: BookDelta) -> None:
        """A price level of a subscribed symbol changed."""

    def handle_timer(self, timer_id: int) -> None:
        """A timer set with ``self.ctx.set_timer`` fired."""

    def handle_order(self, order: OmsOrder, event: Event | RiskRejected) -> None:
        """One of the strategy's orders changed (already booked in the OMS), or a check refused a command."""

    def handle_stop(self) -> None:
        """The session ends."""

    # ------------------------------------------------------------------ helpers

    def now_ns(self) -> int:
        """Current simulated time."""
        return self.ctx.now_ns()

    def halt(self, reason: str) -> int:
        """Stop trading: engage the OMS kill switch, cancel every open order, call no more hooks.

        Returns:
            The number of cancels requested.
        """
        self.is_halted = True
        self.halt_reason = reason
        return self.oms.kill() if self.ctx is not None else 0
