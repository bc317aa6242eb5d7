"""Market makers: quotes from the closed forms, in integer ticks, skewed by inventory."""

from __future__ import annotations

import math

import numpy as np
import pytest

from hftsim.core import ConfigError, Side, TimeInForce
from hftsim.testing import ManualStrategy
from hftsim.trading.models import as_optimal_quotes, cjp_depths, glft_exact_depths
from hftsim.trading.oms import OrderState
from hftsim.trading.strategies import AvellanedaStoikovMaker, CarteaJaimungalMaker, GlftMaker

from .strategy_support import market_with_book

AS = {
    "gamma": 0.1,
    "sigma": 2.0,
    "arrival_decay": 1.5,
    "order_qty": 10,
    "horizon_s": 10.0,
    "requote_interval_ns": 0,
}


def _prices(maker):
    bid, ask = maker.quotes()
    return (
        bid.price_ticks if bid is not None and bid.is_open else None,
        ask.price_ticks if ask is not None and ask.is_open else None,
    )


def _sell_into_bid(taker, maker):
    bid_px = maker.quotes()[0].price_ticks
    taker.oms.submit(Side.SELL, bid_px, maker.order_qty, tif=TimeInForce.IOC)


def _expected_as(mid, q, time_left):
    bid, ask = as_optimal_quotes(mid, q, AS["gamma"], AS["sigma"], time_left, AS["arrival_decay"])
    return math.floor(float(bid)), math.ceil(float(ask))


def test_as_quotes_are_the_model_quotes_in_ticks():
    maker = AvellanedaStoikovMaker("mm", **AS)
    market, lp = market_with_book(maker)
    assert _prices(maker) == _expected_as(1_000.0, 0, 10.0) == (997, 1_003)


def test_as_quotes_skew_down_when_long_and_up_when_short():
    maker, taker = AvellanedaStoikovMaker("mm", **AS), ManualStrategy("taker")
    market, lp = market_with_book(maker, taker)
    flat = _prices(maker)
    _sell_into_bid(taker, maker)
    assert maker.oms.position() == 10
    long_quotes = _prices(maker)
    assert long_quotes == _expected_as(1_000.0, 1, 10.0)
    assert long_quotes[0] < flat[0] and long_quotes[1] < flat[1]
    taker.oms.submit(Side.BUY, long_quotes[1], 20, tif=TimeInForce.IOC)  # lifts the ask: short 10
    assert maker.oms.position() <= 0
    short_quotes = _prices(maker)
    assert short_quotes[0] >= flat[0] and short_quotes[1] >= flat[1]


def test_as_spread_narrows_as_the_horizon_approaches():
    maker = AvellanedaStoikovMaker("mm", **{**AS, "requote_interval_ns": 1_000_000_000})
    market, lp = market_with_book(maker)
    wide = _prices(maker)
    market.advance_to(10_000_000_000)
    narrow = _prices(maker)
    assert narrow == _expected_as(1_000.0, 0, 0.0)
    assert narrow[1] - narrow[0] < wide[1] - wide[0]


def test_as_max_inventory_withdraws_the_bid():
    maker, taker = AvellanedaStoikovMaker("mm", max_inventory=10, **AS), ManualStrategy("taker")
    market, lp = market_with_book(maker, taker)
    _sell_into_bid(taker, maker)
    bid, ask = maker.quotes()
    assert not bid.is_open and ask.is_open


def test_as_never_crosses_the_market_opposite_touch():
    maker = AvellanedaStoikovMaker(
        "mm", **{**AS, "gamma": 5.0, "sigma": 10.0, "horizon_s": 0.05}
    )  # 25 ticks a lot
    taker = ManualStrategy("taker")
    market, lp = market_with_book(maker, taker, depth_qty=1, levels=1)
    assert _prices(maker) == (987, 1_013)
    taker.oms.submit(Side.SELL, 987, 11, tif=TimeInForce.IOC)  # 1 @995 from the LP, 10 @987 from the maker
    assert maker.oms.position() == 10
    model_ask = float(as_optimal_quotes(1_000.0, 1, 5.0, 10.0, 0.05, AS["arrival_decay"])[1])
    assert model_ask < 995
    assert _prices(maker)[1] == 996  # one tick above the last market bid: never takes liquidity to unwind


def test_glft_stops_bidding_at_the_inventory_limit():
    maker = GlftMaker(
        "glft",
        gamma=0.1,
        sigma=1.0,
        arrival_scale=10.0,
        arrival_decay=1.0,
        inventory_limit=1,
        order_qty=10,
        horizon_s=10.0,
        requote_interval_ns=0,
    )
    taker = ManualStrategy("taker")
    market, lp = market_with_book(maker, taker)
    q, bid_depths, ask_depths = glft_exact_depths(10.0, 1, 0.1, 1.0, 10.0, 1.0)
    assert _prices(maker) == (math.floor(1_000 - bid_depths[1]), math.ceil(1_000 + ask_depths[1]))
    _sell_into_bid(taker, maker)
    assert maker.oms.position() == 10
    bid_px, ask_px = _prices(maker)
    assert bid_px is None and ask_px == math.ceil(1_000 + ask_depths[2])


def test_cartea_jaimungal_bid_deepens_when_long():
    params = {
        "kappa": 0.5,
        "lambda_plus": 2.0,
        "lambda_minus": 2.0,
        "phi": 0.5,
        "alpha": 0.01,
        "inventory_limit": 3,
        "order_qty": 10,
        "horizon_s": 10.0,
        "requote_interval_ns": 0,
    }
    maker, taker = CarteaJaimungalMaker("cj", **params), ManualStrategy("taker")
    market, lp = market_with_book(maker, taker)
    q, ask_d, bid_d = cjp_depths(10.0, 0.5, 2.0, 2.0, 0.5, 0.01, -3, 3)
    flat = _prices(maker)
    assert flat == (math.floor(1_000 - bid_d[3]), math.ceil(1_000 + ask_d[3]))
    _sell_into_bid(taker, maker)
    long_quotes = _prices(maker)
    assert long_quotes == (math.floor(1_000 - bid_d[4]), max(math.ceil(1_000 + ask_d[4]), 996))
    assert bid_d[4] > bid_d[3] and long_quotes[0] < flat[0]


def test_maker_requotes_by_replace_keeping_one_order_per_side():
    maker = AvellanedaStoikovMaker("mm", **AS)
    market, lp = market_with_book(maker)
    bid_before = maker.quotes()[0]
    lp.oms.cancel(lp.oms.open_orders()[0].client_order_id)  # best bid 995 -> 994: mid moves down half a tick
    bid_after = maker.quotes()[0]
    assert bid_after is bid_before and bid_after.state in (OrderState.NEW, OrderState.REPLACED)
    assert len(maker.oms.open_orders()) == 2


def test_maker_cancels_its_quotes_at_stop():
    maker = AvellanedaStoikovMaker("mm", **AS)
    market, lp = market_with_book(maker)
    market.stop()
    assert maker.oms.open_orders() == []


@pytest.mark.parametrize(
    ("cls", "kwargs", "name"),
    [
        (AvellanedaStoikovMaker, {"sigma": -1.0}, "sigma"),
        (AvellanedaStoikovMaker, {"gamma": 0.0}, "gamma"),
        (AvellanedaStoikovMaker, {"horizon_s": -5.0}, "horizon_s"),
        (AvellanedaStoikovMaker, {"arrival_decay": float("nan")}, "arrival_decay"),
        (GlftMaker, {"arrival_scale": -1.0}, "arrival_scale"),
        (GlftMaker, {"inventory_limit": 0}, "inventory_limit"),
        (CarteaJaimungalMaker, {"phi": -0.1}, "phi"),
        (CarteaJaimungalMaker, {"kappa": 0}, "kappa"),
        (AvellanedaStoikovMaker, {"order_qty": 0}, "order_qty"),
    ],
)
def test_maker_impossible_parameter_raises_config_error_naming_it(cls, kwargs, name):
    with pytest.raises(ConfigError, match=name):
        cls("bad", **kwargs)


def test_depth_table_is_cached_on_the_time_grid():
    maker = GlftMaker("g", horizon_s=10.0, depth_grid_s=1.0, inventory_limit=2)
    first = maker.quote_prices(1_000.0, 0, 9.5)
    table = maker._table
    assert maker.quote_prices(1_000.0, 0, 9.2) == first and maker._table is table
    maker.quote_prices(1_000.0, 0, 8.5)
    assert maker._table is not table
    assert np.isnan(maker.depth_table(5.0)[1][-1])
