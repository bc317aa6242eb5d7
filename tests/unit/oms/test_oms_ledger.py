"""Positions, cash, fees, rebates and PnL on hand-made fills."""

from __future__ import annotations

import pytest

from hftsim.core import OrderAccepted, OrderFilled, Side
from hftsim.testing import FakeMarket, ManualStrategy
from hftsim.trading.oms import UNITS_PER_TICK, FeeSchedule, Holding, Oms


def test_holding_round_trip_realizes_gross_pnl_and_charges_fees():
    h = Holding(0)
    h.apply_fill(Side.BUY, 100, 10, fee_units=10 * 3_000)  # taker, 0.3 ticks per share
    h.apply_fill(Side.SELL, 104, 10, fee_units=10 * -2_000)  # maker rebate, 0.2 ticks per share
    assert h.position == 0
    assert h.realized_ticks == 40
    assert h.fees_units == 10_000
    assert h.cash_units == (-1_000 * UNITS_PER_TICK - 30_000) + (1_040 * UNITS_PER_TICK + 20_000)
    snap = h.snapshot(200.0)
    assert snap.unrealized_ticks == 0.0 and snap.total_pnl_ticks == pytest.approx(39.0)


def test_holding_fifo_realizes_against_oldest_lots():
    h = Holding(0)
    h.apply_fill(Side.BUY, 100, 5, 0)
    h.apply_fill(Side.BUY, 110, 5, 0)
    h.apply_fill(Side.SELL, 120, 7, 0)  # 5 @100 and 2 @110
    assert h.realized_ticks == 5 * 20 + 2 * 10
    assert h.open_lots() == [(3, 110)] and h.position == 3
    assert h.unrealized_ticks(115.0) == pytest.approx(15.0)


def test_holding_flip_from_long_to_short_opens_a_short_lot():
    h = Holding(0)
    h.apply_fill(Side.BUY, 100, 4, 0)
    h.apply_fill(Side.SELL, 103, 10, 0)
    assert h.position == -6 and h.realized_ticks == 12
    assert h.open_lots() == [(6, 103)]
    assert h.unrealized_ticks(101.0) == pytest.approx(12.0)  # short 6 from 103, marked at 101
    h.apply_fill(Side.BUY, 99, 6, 0)
    assert h.position == 0 and h.realized_ticks == 12 + 24 and h.open_lots() == []


def test_holding_short_unrealized_loses_when_price_rises():
    h = Holding(0)
    h.apply_fill(Side.SELL, 50, 10, 0)
    assert h.unrealized_ticks(52.5) == pytest.approx(-25.0)
    assert h.unrealized_ticks(None) == 0.0


@pytest.mark.parametrize("mark", [90.0, 100.5, 131.25])
def test_holding_cash_identity_holds_at_any_mark(mark):
    h = Holding(0)
    fills = [
        (Side.BUY, 100, 7, 700),
        (Side.SELL, 103, 3, -300),
        (Side.SELL, 99, 9, 2_700),
        (Side.BUY, 97, 2, 0),
    ]
    for side, px, qty, fee in fills:
        h.apply_fill(side, px, qty, fee)
    snap = h.snapshot(mark)
    lhs = h.cash_units / UNITS_PER_TICK + h.position * mark
    assert lhs == pytest.approx(
        snap.realized_ticks + snap.unrealized_ticks - snap.fees_units / UNITS_PER_TICK
    )
    assert lhs == pytest.approx(snap.total_pnl_ticks)


def test_oms_books_maker_rebate_and_taker_fee_by_liquidity_flag():
    market = FakeMarket()
    fees = {"maker_fee_units": -2_000, "taker_fee_units": 3_000}
    maker, taker = ManualStrategy("maker", fees=fees), ManualStrategy("taker", fees=fees)
    market.add(maker)
    market.add(taker)
    market.start()
    maker.oms.submit(Side.SELL, 1_000, 10)
    taker.oms.submit(Side.BUY, 1_000, 10)
    assert maker.oms.holding(0).fees_units == -20_000
    assert taker.oms.holding(0).fees_units == 30_000
    assert maker.oms.holding(0).cash_units == 10_000 * UNITS_PER_TICK + 20_000
    assert taker.oms.holding(0).cash_units == -10_000 * UNITS_PER_TICK - 30_000
    fills = taker.oms.fills_array()
    assert fills["is_aggressor"].tolist() == [1] and fills["fee_units"].tolist() == [30_000]
    assert fills["position"].tolist() == [10]


def test_oms_pnl_marked_to_mid_per_symbol_and_total():
    market = FakeMarket()
    a, b = ManualStrategy("a"), ManualStrategy("b")
    market.add(a)
    market.add(b)
    market.start()
    a.oms.submit(Side.SELL, 1_000, 10)
    b.oms.submit(Side.BUY, 1_000, 10)
    a.oms.submit(Side.BUY, 1_008, 5)
    a.oms.submit(Side.SELL, 1_012, 5)  # mid 1010
    assert b.oms.mid(0) == 1_010.0
    assert b.oms.pnl(0).unrealized_ticks == pytest.approx(100.0)
    assert a.oms.pnl(0).unrealized_ticks == pytest.approx(-100.0)
    assert b.oms.total_pnl().total_pnl_ticks == pytest.approx(100.0)
    assert b.oms.pnl(0, mid_ticks=1_000.0).total_pnl_ticks == 0.0


def test_fee_schedule_from_config_rejects_unknown_fields():
    from hftsim.core import ConfigError

    with pytest.raises(ConfigError, match="maker_fee"):
        FeeSchedule.from_config({"maker_fee": 1})


def test_oms_without_recording_keeps_no_series():
    oms = Oms("quiet", is_recording=False)

    class Ctx:
        owner_id = 1

        def now_ns(self):
            return 0

        def send(self, cmd):
            pass

    oms.bind(Ctx())
    oms.update_mid(0, 100.0)
    order = oms.submit(Side.BUY, 100, 5)
    oms.on_event(
        OrderAccepted(
            symbol_id=0,
            order_id=9,
            client_order_id=order.client_order_id,
            owner_id=1,
            side=Side.BUY,
            price_ticks=100,
            qty=5,
            leaves_qty=5,
        )
    )
    oms.on_event(
        OrderFilled(
            symbol_id=0,
            order_id=9,
            contra_order_id=3,
            client_order_id=order.client_order_id,
            owner_id=1,
            exec_id=1,
            side=Side.BUY,
            price_ticks=100,
            qty=5,
            leaves_qty=0,
            aggressor_side=Side.SELL,
            is_aggressor=False,
        )
    )
    assert oms.position() == 5 and len(oms.fills_array()) == 0
