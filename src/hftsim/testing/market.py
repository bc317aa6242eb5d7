"""An in-memory market for tests: agents, a real MatchingEngine and a fake clock, zero latency. Cold path.

:class:`FakeMarket` implements the kernel's side of the agent API without the kernel: each agent gets
a :class:`FakeContext`; a command sent through it is applied to a real
:class:`~hftsim.matching.MatchingEngine` at once, and the resulting events are queued and delivered
after the current handler returns (never re-entrantly), in venue order: the owner's order events, the
public trades and book deltas, then an L1 update when the top of book changed. Timers fire in
``(at_ns, seq)`` order when the test advances the clock. Everything is deterministic; no wall time.
"""

from __future__ import annotations

import heapq
from collections import deque
from typing import Any, Callable, Sequence

import numpy as np

from hftsim.book.views import L1
from hftsim.core.clock import SimClock
from hftsim.core.enums import StpMode
from hftsim.core.errors import ConfigError, InvariantError
from hftsim.core.instrument import Instrument
from hftsim.core.messages import (
    BookDelta,
    Command,
    Event,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    Trade,
)
from hftsim.core.rng import rng_for
from hftsim.matching.engine import MatchingEngine

__all__ = ["FakeContext", "FakeMarket"]

_OWNED = (OrderAccepted, OrderFilled, OrderCanceled, OrderReplaced, OrderExpired)


class FakeContext:
    """The :class:`~hftsim.sim.agent.AgentContext` of one agent in a :class:`FakeMarket`."""

    def __init__(self, market: "FakeMarket", agent: Any, owner_id: int, rng: np.random.Generator) -> None:
        self.name = agent.name
        self.owner_id = owner_id
        self.rng = rng
        self.agent = agent
        self._market = market

    def now_ns(self) -> int:
        """The market's simulated time."""
        return self._market.clock.now_ns()

    def send(self, cmd: Command) -> None:
        """Apply ``cmd`` (stamped with this agent's owner id and the current time) to the engine."""
        self._market.apply(cmd, self)

    def set_timer(self, at_ns: int, timer_id: int = 0) -> None:
        """Fire ``agent.on_timer(ctx, timer_id)`` when the market reaches ``at_ns``."""
        self._market.schedule(at_ns, self, timer_id)

    def l1(self, symbol_id: int) -> L1:
        """Current top of book (zero latency)."""
        return self._market.engine.l1(symbol_id)

    def instrument(self, symbol_id: int) -> Instrument:
        """Static data of a symbol."""
        return self._market.engine.instruments[symbol_id]


class FakeMarket:
    """Agents around a real matching engine, with a fake clock and synchronous, queued delivery.

    Args:
        instruments: the symbols (default: one symbol ``"TEST"`` with a 1..1,000,000 tick band).
        seed: run seed for the agents' RNG streams (``"agent.<name>"``).
        start_ns: initial simulated time.
        stp_mode: the engine's self-trade prevention.
        is_publishing_l1: deliver an L1 update after a command that changed the top of book (turn it
            off to drive agents with synthetic L1 only, see :meth:`deliver_l1`).

    Attributes:
        events: every event the engine emitted, in order (the run's event log).
        commands: every command applied, stamped, in order.
    """

    def __init__(
        self,
        instruments: Sequence[Instrument] | None = None,
        *,
        seed: int = 0,
        start_ns: int = 0,
        stp_mode: StpMode = StpMode.CANCEL_RESTING,
        is_publishing_l1: bool = True,
    ) -> None:
        self.engine = MatchingEngine(instruments or [Instrument(symbol="TEST")], stp_mode)
        self.clock = SimClock(start_ns)
        self.seed = seed
        self.is_publishing_l1 = is_publishing_l1
        self.events: list[Event] = []
        self.commands: list[Command] = []
        self._contexts: list[FakeContext] = []
        self._by_owner: dict[int, FakeContext] = {}
        self._timers: list[tuple[int, int, FakeContext, int]] = []
        self._queue: deque[tuple[Callable, tuple]] = deque()
        self._is_draining = False
        self._seq = 0
        self._timer_seq = 0
        self._last_l1: dict[int, tuple] = {}

    # ------------------------------------------------------------------ agents

    def add(self, agent: Any, owner_id: int | None = None) -> FakeContext:
        """Register an agent (owner ids 1, 2, ... by default) and return its context."""
        owner_id = len(self._contexts) + 1 if owner_id is None else owner_id
        if owner_id in self._by_owner or owner_id <= 0:
            raise ConfigError(f"owner_id must be unique and > 0, found {owner_id}")
        ctx = FakeContext(self, agent, owner_id, rng_for(self.seed, f"agent.{agent.name}"))
        self._contexts.append(ctx)
        self._by_owner[owner_id] = ctx
        return ctx

    def context(self, agent: Any) -> FakeContext:
        """The context of a registered agent."""
        for ctx in self._contexts:
            if ctx.agent is agent:
                return ctx
        raise ConfigError(f"agent {getattr(agent, 'name', agent)!r} is not in this market")

    def start(self) -> None:
        """Call every agent's ``on_start`` in registration order."""
        for ctx in self._contexts:
            self._post(ctx.agent.on_start, (ctx,))

    def stop(self) -> None:
        """Call every agent's ``on_stop`` in registration order."""
        for ctx in self._contexts:
            self._post(ctx.agent.on_stop, (ctx,))

    # ------------------------------------------------------------------ time

    def schedule(self, at_ns: int, ctx: FakeContext, timer_id: int) -> None:
        """Queue a timer (used by :meth:`FakeContext.set_timer`)."""
        if at_ns < self.clock.now_ns():
            raise InvariantError(f"timer at {at_ns} ns is before now ({self.clock.now_ns()} ns)")
        self._timer_seq += 1
        heapq.heappush(self._timers, (at_ns, self._timer_seq, ctx, timer_id))

    def advance_to(self, t_ns: int) -> None:
        """Fire every timer due up to ``t_ns`` in time order, then set the clock to ``t_ns``."""
        while self._timers and self._timers[0][0] <= t_ns:
            at_ns, _, ctx, timer_id = heapq.heappop(self._timers)
            self.clock.advance_to(at_ns)
            self._post(ctx.agent.on_timer, (ctx, timer_id))
        self.clock.advance_to(t_ns)

    def next_timer_ns(self) -> int | None:
        """When the next timer is due, or None."""
        return self._timers[0][0] if self._timers else None

    # ------------------------------------------------------------------ flow

    def apply(self, cmd: Command, ctx: FakeContext | None = None) -> list[Event]:
        """Apply a command (from ``ctx``'s agent, or anonymous flow with owner id 0); queue its events."""
        fields = {name: getattr(cmd, name) for name in cmd.__struct_fields__}
        fields["ts_event"] = self.clock.now_ns()
        if "owner_id" in fields:
            fields["owner_id"] = ctx.owner_id if ctx is not None else 0
        cmd = type(cmd)(**fields)
        self._seq += 1
        self.commands.append(cmd)
        events = self.engine.submit(cmd, self._seq)
        self.events.extend(events)
        for event in events:
            self._route(event, ctx)
        if self.is_publishing_l1:
            self._route_l1(cmd.symbol_id)
        self._drain()
        return events

    def deliver_l1(self, l1: L1) -> None:
        """Deliver a synthetic top of book to the subscribers of its symbol (market-data replay)."""
        for ctx in self._subscribers(l1.symbol_id):
            self._queue.append((ctx.agent.on_l1, (ctx, l1)))
        self._drain()

    def deliver_trade(self, trade: Trade) -> None:
        """Deliver a synthetic trade print to the subscribers of its symbol."""
        for ctx in self._subscribers(trade.symbol_id):
            self._queue.append((ctx.agent.on_trade, (ctx, trade)))
        self._drain()

    @property
    def fills(self) -> list[OrderFilled]:
        """Every fill event of the run."""
        return [e for e in self.events if isinstance(e, OrderFilled)]

    def _route(self, event: Event, sender: FakeContext | None) -> None:
        if isinstance(event, _OWNED):
            ctx = self._by_owner.get(event.owner_id)
            if ctx is not None:
                self._queue.append((ctx.agent.on_order_event, (ctx, event)))
        elif isinstance(event, OrderRejected):
            if sender is not None:
                self._queue.append((sender.agent.on_order_event, (sender, event)))
        elif isinstance(event, Trade):
            for ctx in self._subscribers(event.symbol_id):
                self._queue.append((ctx.agent.on_trade, (ctx, event)))
        elif isinstance(event, BookDelta):
            for ctx in self._subscribers(event.symbol_id):
                self._queue.append((ctx.agent.on_book_delta, (ctx, event)))

    def _route_l1(self, symbol_id: int) -> None:
        l1 = self.engine.l1(symbol_id)
        key = (l1.bid_px_ticks, l1.bid_qty, l1.ask_px_ticks, l1.ask_qty)
        if self._last_l1.get(symbol_id) == key:
            return
        self._last_l1[symbol_id] = key
        for ctx in self._subscribers(symbol_id):
            self._queue.append((ctx.agent.on_l1, (ctx, l1)))

    def _subscribers(self, symbol_id: int) -> list[FakeContext]:
        return [c for c in self._contexts if symbol_id in getattr(c.agent, "subscriptions", (0,))]

    def _post(self, handler: Callable, args: tuple) -> None:
        self._queue.append((handler, args))
        self._drain()

    def _drain(self) -> None:
        if self._is_draining:
            return
        self._is_draining = True
        try:
            queue = self._queue
            while queue:
                handler, args = queue.popleft()
                handler(*args)
        finally:
            self._is_draining = False
