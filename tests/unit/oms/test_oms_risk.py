"""Pre-trade risk: each check refuses with its reason, and nothing reaches the venue."""

from __future__ import annotations

import pytest

from hftsim.core import ConfigError, NewOrder, OrderType, Side
from hftsim.testing import FakeMarket, ManualStrategy
from hftsim.trading.oms import OrderState, RiskLimits, RiskReason, RiskRejected


def _setup(risk, *, with_book=True):
    market = FakeMarket()
    maker = ManualStrategy("maker")
    trader = ManualStrategy("trader", risk=risk)
    market.add(maker)
    market.add(trader)
    market.start()
    if with_book:
        maker.oms.submit(Side.BUY, 995, 1_000)
        maker.oms.submit(Side.SELL, 1_005, 1_000)  # mid 1000, delivered to the trader as L1
    return market, trader


def _assert_refused(market, trader, order, reason):
    commands = [c for c in market.commands if c.owner_id == market.context(trader).owner_id]
    assert commands == [], "a refused order must never reach the venue"
    assert order.state is OrderState.REJECTED and order.reject_reason == reason
    last_order, event = trader.updates[-1]
    assert last_order is order and isinstance(event, RiskRejected) and event.reason == reason
    assert event.client_order_id == order.client_order_id and not event.is_replace


@pytest.mark.parametrize(
    ("risk", "args", "kwargs", "reason"),
    [
        ({"max_order_qty": 100}, (Side.BUY, 1_000, 101), {}, RiskReason.MAX_ORDER_QTY),
        ({"max_notional_ticks": 100_000}, (Side.BUY, 1_001, 100), {}, RiskReason.MAX_NOTIONAL),
        (
            {"max_notional_ticks": 100_000},
            (Side.BUY, 0, 101),
            {"order_type": OrderType.MARKET},
            RiskReason.MAX_NOTIONAL,
        ),
        ({"max_position": 50}, (Side.SELL, 1_000, 51), {}, RiskReason.POSITION_LIMIT),
        ({"collar_ticks": 10}, (Side.BUY, 1_011, 1), {}, RiskReason.PRICE_COLLAR),
        ({"collar_ticks": 10}, (Side.SELL, 989, 1), {}, RiskReason.PRICE_COLLAR),
        ({}, (Side.BUY, 1_000, 0), {}, RiskReason.INVALID_QTY),
    ],
    ids=["qty", "notional", "market-notional", "position", "collar-high", "collar-low", "zero-qty"],
)
def test_risk_check_refuses_with_reason_and_sends_nothing(risk, args, kwargs, reason):
    market, trader = _setup(risk)
    order = trader.oms.submit(*args, **kwargs)
    _assert_refused(market, trader, order, reason)


def test_risk_at_the_limit_passes():
    market, trader = _setup(
        {"max_order_qty": 100, "max_notional_ticks": 100_000, "max_position": 100, "collar_ticks": 10}
    )
    order = trader.oms.submit(Side.BUY, 1_000, 100)
    assert order.state is OrderState.NEW


def test_risk_position_limit_counts_open_orders():
    market, trader = _setup({"max_position": 100})
    first = trader.oms.submit(Side.BUY, 990, 60)
    assert first.state is OrderState.NEW
    second = trader.oms.submit(Side.BUY, 990, 41)
    assert second.reject_reason == RiskReason.POSITION_LIMIT
    assert trader.oms.submit(Side.BUY, 990, 40).state is OrderState.NEW
    assert trader.oms.submit(Side.SELL, 1_010, 100).state is OrderState.NEW  # the other side is separate


def test_risk_position_limit_counts_the_filled_position():
    market, trader = _setup({"max_position": 100})
    trader.oms.submit(Side.BUY, 1_005, 80)  # fills against the maker's ask
    assert trader.oms.position() == 80
    assert trader.oms.submit(Side.BUY, 990, 21).reject_reason == RiskReason.POSITION_LIMIT
    assert trader.oms.submit(Side.SELL, 1_010, 180).state is OrderState.NEW  # from +80 to -100 is allowed


def test_risk_market_order_without_reference_under_notional_limit_is_refused():
    market, trader = _setup({"max_notional_ticks": 10**9}, with_book=False)
    order = trader.oms.submit(Side.BUY, 0, 1, order_type=OrderType.MARKET)
    _assert_refused(market, trader, order, RiskReason.NO_REFERENCE_PRICE)


def test_risk_throttle_uses_a_sliding_window_of_simulated_time():
    market, trader = _setup({"max_orders_per_window": 3, "window_ns": 1_000})
    market.advance_to(10_000)
    for _ in range(3):
        assert trader.oms.submit(Side.BUY, 990, 1).state is OrderState.NEW
    refused = trader.oms.submit(Side.BUY, 990, 1)
    assert refused.reject_reason == RiskReason.THROTTLE
    market.advance_to(10_999)
    assert trader.oms.submit(Side.BUY, 990, 1).reject_reason == RiskReason.THROTTLE
    market.advance_to(11_000)  # the first three leave the window
    assert trader.oms.submit(Side.BUY, 990, 1).state is OrderState.NEW
    sent = [c for c in market.commands if isinstance(c, NewOrder) and c.owner_id == 2]
    assert len(sent) == 4


def test_risk_kill_switch_cancels_open_orders_and_refuses_new_ones():
    market, trader = _setup({})
    resting = trader.oms.submit(Side.BUY, 990, 10)
    assert trader.oms.kill() == 1
    assert resting.state is OrderState.CANCELED and trader.oms.is_killed
    count = len(market.commands)
    refused = trader.oms.submit(Side.BUY, 990, 1)
    assert refused.reject_reason == RiskReason.KILL_SWITCH and len(market.commands) == count


def test_risk_replace_refused_keeps_order_working_and_sends_nothing():
    market, trader = _setup({"collar_ticks": 10, "max_order_qty": 50})
    order = trader.oms.submit(Side.BUY, 995, 10)
    count = len(market.commands)
    assert not trader.oms.replace(order.client_order_id, 980, 10)
    assert not trader.oms.replace(order.client_order_id, 995, 51)
    assert len(market.commands) == count
    assert order.state is OrderState.NEW and order.price_ticks == 995
    reasons = [e.reason for _, e in trader.updates if isinstance(e, RiskRejected)]
    assert reasons == [RiskReason.PRICE_COLLAR, RiskReason.MAX_ORDER_QTY]
    assert all(e.is_replace for _, e in trader.updates if isinstance(e, RiskRejected))


def test_risk_replace_counts_only_the_change_of_open_quantity():
    market, trader = _setup({"max_position": 100})
    order = trader.oms.submit(Side.BUY, 990, 100)
    assert trader.oms.replace(order.client_order_id, 991, 100)  # same size: not double counted
    assert trader.oms.replace(order.client_order_id, 990, 50)
    assert order.leaves_qty == 50 and trader.oms.open_qty(0, Side.BUY) == 50
    assert not trader.oms.replace(order.client_order_id, 990, 101)
    assert trader.updates[-1][1].reason == RiskReason.POSITION_LIMIT


def test_risk_limits_from_config_names_bad_fields():
    with pytest.raises(ConfigError, match="max_order_qty"):
        RiskLimits.from_config({"max_order_qty": 0})
    with pytest.raises(ConfigError, match="colar_ticks"):
        RiskLimits.from_config({"colar_ticks": 3})
    with pytest.raises(ConfigError, match="window_ns"):
        RiskLimits.from_config({"window_ns": "1s"})
    assert RiskLimits.from_config({"collar_ticks": 5}).collar_ticks == 5
