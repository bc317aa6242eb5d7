"""Agents for tests: a strategy driven by hand that records what it is told. Cold path."""

from __future__ import annotations

from hftsim.book.views import L1
from hftsim.core.messages import Event, Trade
from hftsim.trading.oms import OmsOrder, RiskRejected
from hftsim.trading.strategies.base import Strategy

__all__ = ["ManualStrategy"]


class ManualStrategy(Strategy):
    """A strategy that never decides by itself: the test calls ``strategy.oms`` directly.

    Attributes:
        updates: every ``(order, event)`` given to ``handle_order``, local rejects included.
        l1s: every L1 received; ``trades``: every trade received; ``timers``: fired timer ids.
    """

    def __init__(self, name: str, **kwargs) -> None:
        super().__init__(name, **kwargs)
        self.updates: list[tuple[OmsOrder, Event | RiskRejected]] = []
        self.l1s: list[L1] = []
        self.trades: list[Trade] = []
        self.timers: list[int] = []

    def handle_order(self, order: OmsOrder, event: Event | RiskRejected) -> None:
        self.updates.append((order, event))

    def handle_l1(self, l1: L1) -> None:
        self.l1s.append(l1)

    def handle_trade(self, trade: Trade) -> None:
        self.trades.append(trade)

    def handle_timer(self, timer_id: int) -> None:
        self.timers.append(timer_id)
