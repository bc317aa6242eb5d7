"""Isolate a failing agent: a handler that raises stops that agent alone. Cold path.

:func:`guarded` wraps an agent for the kernel. When one of its handlers raises, the wrapper records a
:class:`Failure`, halts the agent (for a :class:`~hftsim.trading.strategies.base.Strategy`: kill
switch on, every open order canceled) and from then on forwards only the agent's own order events,
so its OMS books the cancels; the rest of the run goes on. An ``InvariantError`` is not a strategy
bug but a broken simulator invariant: it propagates and stops the run.
"""

from __future__ import annotations

from typing import Any

import msgspec

from hftsim.book.views import L1
from hftsim.core.errors import InvariantError
from hftsim.core.messages import BookDelta, Event, Trade
from hftsim.sim.agent import Agent, AgentContext

__all__ = ["Failure", "GuardedAgent", "guarded"]


class Failure(msgspec.Struct, frozen=True, kw_only=True):
    """Why a guarded agent was stopped.

    Attributes:
        agent: the agent's name.
        handler: the handler that raised (``"on_l1"``, ...).
        ts_ns: simulated time of the failure.
        error_type: the exception's class name.
        message: the exception's message.
        canceled_orders: cancels requested when the agent was halted.
    """

    agent: str
    handler: str
    ts_ns: int
    error_type: str
    message: str
    canceled_orders: int


class GuardedAgent(Agent):
    """An agent wrapper that stops the inner agent alone when one of its handlers raises.

    Attributes:
        inner: the wrapped agent.
        failure: the :class:`Failure`, or None while the agent runs normally.
    """

    def __init__(self, inner: Agent) -> None:
        super().__init__(inner.name, inner.subscriptions)
        self.inner = inner
        self.failure: Failure | None = None

    @property
    def is_stopped(self) -> bool:
        """True once a handler raised."""
        return self.failure is not None

    def wants(self, kind: str) -> bool:
        return self.inner.wants(kind)

    def on_start(self, ctx: AgentContext) -> None:
        self._call("on_start", ctx)

    def on_timer(self, ctx: AgentContext, timer_id: int) -> None:
        self._call("on_timer", ctx, timer_id)

    def on_l1(self, ctx: AgentContext, l1: L1) -> None:
        self._call("on_l1", ctx, l1)

    def on_trade(self, ctx: AgentContext, trade: Trade) -> None:
        self._call("on_trade", ctx, trade)

    def on_book_delta(self, ctx: AgentContext, delta: BookDelta) -> None:
        self._call("on_book_delta", ctx, delta)

    def on_order_event(self, ctx: AgentContext, event: Event) -> None:
        self._call("on_order_event", ctx, event)

    def on_stop(self, ctx: AgentContext) -> None:
        self._call("on_stop", ctx)

    def _call(self, handler: str, ctx: AgentContext, *args: Any) -> None:
        if self.failure is not None and handler != "on_order_event":
            return
        try:
            getattr(self.inner, handler)(ctx, *args)
        except InvariantError:
            raise
        except Exception as e:  # noqa: BLE001 -- the edge between the simulator and user strategy code
            if self.failure is None:
                self._fail(handler, ctx, e)

    def _fail(self, handler: str, ctx: AgentContext, error: Exception) -> None:
        # record first: halting sends cancels whose events come back through _call
        self.failure = Failure(
            agent=self.name,
            handler=handler,
            ts_ns=ctx.now_ns(),
            error_type=type(error).__name__,
            message=str(error),
            canceled_orders=0,
        )
        halt = getattr(self.inner, "halt", None)
        canceled = 0
        if callable(halt):
            canceled = int(halt(f"{handler} raised {type(error).__name__}: {error}") or 0)
        self.failure = msgspec.structs.replace(self.failure, canceled_orders=canceled)


def guarded(agent: Agent) -> GuardedAgent:
    """Wrap ``agent`` so that an exception in one of its handlers stops it alone (see the module doc)."""
    return agent if isinstance(agent, GuardedAgent) else GuardedAgent(agent)
