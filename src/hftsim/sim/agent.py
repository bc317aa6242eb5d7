"""The agent API: what strategies and flow generators see of the simulator. Cold path.

An agent reacts to callbacks and acts only through its :class:`AgentContext`. The kernel calls
the handlers in simulated-time order; an agent's commands reach the venue after its latency, and
market data and its own order events reach it after theirs. Agents never read the wall clock or a
global RNG: ``ctx.rng`` is the agent's own stream, derived from the run seed and its name.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np

from hftsim.book.views import L1
from hftsim.core.instrument import Instrument
from hftsim.core.messages import BookDelta, Command, Event, Trade

__all__ = ["Agent", "AgentContext"]


class AgentContext(Protocol):
    """The kernel's services for one agent."""

    name: str
    owner_id: int  #: the agent's owner id on the venue (self-trade prevention, cancels)
    rng: np.random.Generator

    def now_ns(self) -> int:
        """Current simulated time."""
        ...

    def send(self, cmd: Command) -> None:
        """Send a command to the venue; it arrives after the agent-to-venue latency.

        ``owner_id`` of the command is set to the agent's by the kernel.
        """
        ...

    def set_timer(self, at_ns: int, timer_id: int = 0) -> None:
        """Call :meth:`Agent.on_timer` at simulated time ``at_ns`` (not before now)."""
        ...

    def l1(self, symbol_id: int) -> L1:
        """The agent's latest view of the top of book (as delivered to it, so possibly stale)."""
        ...

    def instrument(self, symbol_id: int) -> Instrument:
        """Static data of a symbol."""
        ...


class Agent:
    """Base class of every agent. Override the handlers you need; the defaults do nothing.

    Attributes:
        name: unique within a run; names the agent's RNG stream and its rows in reports.
        subscriptions: symbol ids whose market data the agent receives.
    """

    def __init__(self, name: str, subscriptions: tuple[int, ...] = (0,)) -> None:
        self.name = name
        self.subscriptions = tuple(subscriptions)

    def wants(self, kind: str) -> bool:
        """Whether the kernel should deliver market data of ``kind`` (``"trade"`` or ``"book_delta"``).

        By default an agent receives what its class handles (it overrides ``on_<kind>``); sending a
        message nobody reads costs the simulation time for nothing.
        """
        return getattr(type(self), f"on_{kind}") is not getattr(Agent, f"on_{kind}")

    def on_start(self, ctx: AgentContext) -> None:
        """Called once at the start of the session."""

    def on_timer(self, ctx: AgentContext, timer_id: int) -> None:
        """A timer set with :meth:`AgentContext.set_timer` fired."""

    def on_l1(self, ctx: AgentContext, l1: L1) -> None:
        """The top of book of a subscribed symbol changed (delivered after market-data latency)."""

    def on_trade(self, ctx: AgentContext, trade: Trade) -> None:
        """A trade printed in a subscribed symbol."""

    def on_book_delta(self, ctx: AgentContext, delta: BookDelta) -> None:
        """A price level of a subscribed symbol changed (L2 data)."""

    def on_order_event(self, ctx: AgentContext, event: Event) -> None:
        """One of the agent's own orders was accepted, rejected, filled, canceled, replaced or expired."""

    def on_stop(self, ctx: AgentContext) -> None:
        """Called once at the end of the session."""
