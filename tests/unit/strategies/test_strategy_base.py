"""The Strategy base: routing through the OMS, sealed handlers, the failure guard."""

from __future__ import annotations

import pytest

from hftsim.core import InvariantError, OrderAccepted, Side
from hftsim.testing import FakeMarket, ManualStrategy
from hftsim.trading.oms import OrderState, RiskRejected
from hftsim.trading.strategies import Strategy, guarded

from .strategy_support import market_with_book


def test_strategy_overriding_a_routing_handler_is_a_type_error():
    with pytest.raises(TypeError, match="override handle_order instead"):

        class Bad(Strategy):
            def on_order_event(self, ctx, event):
                pass


def test_strategy_order_events_are_booked_before_the_hook():
    seen = []

    class Watch(Strategy):
        def handle_order(self, order, event):
            seen.append((type(event).__name__, order.state, self.oms.position()))

    watch = Watch("w")
    market, lp = market_with_book(watch)
    watch.oms.submit(Side.BUY, 1_005, 7)
    assert seen == [("OrderAccepted", OrderState.NEW, 0), ("OrderFilled", OrderState.FILLED, 7)]


def test_strategy_market_data_updates_oms_mid_and_reaches_hooks():
    trader = ManualStrategy("t")
    market, lp = market_with_book(trader)
    assert trader.l1s[-1].bid_px_ticks == 995 and trader.l1s[-1].ask_px_ticks == 1_005
    assert trader.oms.mid(0) == 1_000.0
    trader.oms.submit(Side.BUY, 1_005, 3)
    assert [(t.qty, t.price_ticks) for t in trader.trades] == [(3, 1_005)]


def test_strategy_local_reject_reaches_handle_order():
    trader = ManualStrategy("t", risk={"max_order_qty": 5})
    market, _ = market_with_book(trader)
    order = trader.oms.submit(Side.BUY, 990, 6)
    assert isinstance(trader.updates[-1][1], RiskRejected) and trader.updates[-1][0] is order


def test_strategy_timers_reach_handle_timer_in_time_order():
    trader = ManualStrategy("t")
    market = FakeMarket()
    market.add(trader)
    market.start()
    trader.ctx.set_timer(300, 3)
    trader.ctx.set_timer(100, 1)
    market.advance_to(200)
    assert trader.timers == [1]
    market.advance_to(300)
    assert trader.timers == [1, 3]


class Exploding(Strategy):
    """Quotes on start, then raises on an L1 that is not its own quote."""

    def handle_start(self):
        self.bid = self.oms.submit(Side.BUY, 990, 10)
        self.ask = self.oms.submit(Side.SELL, 1_010, 10)
        self.l1_calls = 0

    def handle_l1(self, l1):
        self.l1_calls += 1
        if l1.bid_px_ticks != 990:
            raise RuntimeError("model blew up")


def test_guarded_raising_strategy_is_stopped_alone_and_its_orders_canceled():
    bad = Exploding("bad")
    bystander = ManualStrategy("ok")
    market = FakeMarket()
    wrapped = guarded(bad)
    market.add(wrapped)
    market.add(bystander)
    market.start()
    assert bad.bid.state is OrderState.NEW
    bystander.oms.submit(Side.BUY, 995, 1)  # an L1 change: bad raises
    assert wrapped.failure is not None and wrapped.failure.handler == "on_l1"
    assert wrapped.failure.error_type == "RuntimeError" and "blew up" in wrapped.failure.message
    assert wrapped.failure.canceled_orders == 2
    assert bad.bid.state is OrderState.CANCELED and bad.ask.state is OrderState.CANCELED
    assert bad.is_halted and bad.oms.is_killed and market.engine.live_orders(0) == 1
    calls = bad.l1_calls
    bystander.oms.submit(Side.SELL, 1_020, 1)  # the run goes on; bad hears nothing more
    assert bad.l1_calls == calls
    assert bystander.oms.open_orders()[-1].state is OrderState.NEW


def test_guarded_invariant_error_propagates():
    class Broken(Strategy):
        def handle_l1(self, l1):
            raise InvariantError("broken")

    market = FakeMarket()
    market.add(guarded(Broken("b")))
    other = ManualStrategy("o")
    market.add(other)
    market.start()
    with pytest.raises(InvariantError):
        other.oms.submit(Side.BUY, 995, 1)


def test_halted_strategy_still_books_its_order_events():
    trader = ManualStrategy("t")
    market, lp = market_with_book(trader)
    order = trader.oms.submit(Side.BUY, 990, 5)
    count = len(trader.updates)
    trader.halt("test")
    assert order.state is OrderState.CANCELED and len(trader.updates) == count


def test_guarded_is_idempotent_and_keeps_name_and_subscriptions():
    inner = ManualStrategy("x", symbol_id=0)
    wrapped = guarded(inner)
    assert guarded(wrapped) is wrapped
    assert wrapped.name == "x" and wrapped.subscriptions == (0,)


def test_strategy_unknown_accept_raises_invariant_error():
    trader = ManualStrategy("t")
    market = FakeMarket()
    ctx = market.add(trader)
    market.start()
    with pytest.raises(InvariantError, match="unknown client order id"):
        trader.on_order_event(
            ctx,
            OrderAccepted(
                symbol_id=0,
                order_id=1,
                client_order_id=77,
                owner_id=1,
                side=Side.BUY,
                price_ticks=1,
                qty=1,
                leaves_qty=1,
            ),
        )
