"""The order state machine: the table itself, then the OMS driven by a real matching engine."""

from __future__ import annotations

import pytest

from hftsim.core import (
    Instrument,
    InvariantError,
    NewOrder,
    OrderCanceled,
    OrderFilled,
    OrderRejected,
    RejectReason,
    Side,
    StpMode,
    TimeInForce,
)
from hftsim.testing import FakeMarket, ManualStrategy
from hftsim.trading.oms import (
    LIVE_STATES,
    TERMINAL_STATES,
    OrderState,
    Trigger,
    legal_transitions,
    next_state,
)

S, T = OrderState, Trigger

EXPECTED_LEGAL = {
    (S.PENDING_NEW, T.ACCEPT): S.NEW,
    (S.PENDING_NEW, T.REJECT): S.REJECTED,
    (S.PENDING_NEW, T.LOCAL_REJECT): S.REJECTED,
    **{(live, T.FILL): S.PARTIALLY_FILLED for live in LIVE_STATES},
    **{(live, T.FILL_FULL): S.FILLED for live in LIVE_STATES},
    **{(live, T.CANCEL_REQUEST): S.PENDING_CANCEL for live in LIVE_STATES},
    **{(live, T.REPLACE_REQUEST): S.PENDING_REPLACE for live in LIVE_STATES},
    **{(live, T.CANCELED): S.CANCELED for live in LIVE_STATES},
    **{(live, T.REDUCED): live for live in LIVE_STATES},
    **{(live, T.EXPIRE): S.EXPIRED for live in LIVE_STATES},
    (S.PENDING_CANCEL, T.FILL): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, T.FILL_FULL): S.FILLED,
    (S.PENDING_CANCEL, T.REDUCED): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, T.EXPIRE): S.EXPIRED,
    (S.PENDING_CANCEL, T.CANCELED): S.CANCELED,
    (S.PENDING_CANCEL, T.CANCEL_REJECT): "resume",
    (S.PENDING_CANCEL, T.REPLACED): S.PENDING_CANCEL,
    (S.PENDING_CANCEL, T.REPLACE_REJECT): S.PENDING_CANCEL,
    (S.PENDING_REPLACE, T.FILL): S.PENDING_REPLACE,
    (S.PENDING_REPLACE, T.FILL_FULL): S.FILLED,
    (S.PENDING_REPLACE, T.REDUCED): S.PENDING_REPLACE,
    (S.PENDING_REPLACE, T.EXPIRE): S.EXPIRED,
    (S.PENDING_REPLACE, T.REPLACED): S.REPLACED,
    (S.PENDING_REPLACE, T.REPLACE_REJECT): "resume",
    (S.PENDING_REPLACE, T.CANCELED): S.CANCELED,
    (S.PENDING_REPLACE, T.CANCEL_REQUEST): S.PENDING_CANCEL,
    **{
        (done, t): done
        for done in (S.FILLED, S.CANCELED, S.EXPIRED)
        for t in (T.CANCEL_REJECT, T.REPLACE_REJECT)
    },
}


@pytest.mark.parametrize("pair", sorted(EXPECTED_LEGAL), ids=lambda p: f"{p[0].name}-{p[1].name}")
def test_next_state_legal_transition_gives_expected_state(pair):
    state, trigger = pair
    expected = EXPECTED_LEGAL[pair]
    resume = S.PARTIALLY_FILLED
    assert next_state(state, trigger, resume) == (resume if expected == "resume" else expected)


def test_transition_table_has_exactly_the_expected_pairs():
    assert set(legal_transitions()) == set(EXPECTED_LEGAL)


ILLEGAL = [
    (S.PENDING_NEW, T.FILL),
    (S.PENDING_NEW, T.REPLACED),
    (S.NEW, T.ACCEPT),
    (S.FILLED, T.FILL),
    (S.CANCELED, T.FILL),
    (S.CANCELED, T.CANCELED),
    (S.REJECTED, T.ACCEPT),
    (S.EXPIRED, T.REPLACED),
    (S.PENDING_CANCEL, T.REPLACE_REQUEST),
    (S.REJECTED, T.CANCEL_REJECT),
]


@pytest.mark.parametrize("pair", ILLEGAL, ids=lambda p: f"{p[0].name}-{p[1].name}")
def test_next_state_impossible_transition_raises_invariant_error(pair):
    with pytest.raises(InvariantError, match=f"{pair[1].name} in state {pair[0].name}"):
        next_state(pair[0], pair[1], S.NEW)


def test_every_terminal_state_refuses_fills():
    for state in TERMINAL_STATES:
        with pytest.raises(InvariantError):
            next_state(state, T.FILL, S.NEW)


# ---------------------------------------------------------------- through the OMS and a real engine


def _market(**kwargs):
    market = FakeMarket(**kwargs)
    trader = ManualStrategy("trader")
    other = ManualStrategy("other")
    market.add(trader)
    market.add(other)
    market.start()
    return market, trader.oms, other.oms, trader


def test_oms_new_order_accepted_is_new_with_venue_id():
    _, oms, _, trader = _market()
    order = oms.submit(Side.BUY, 100, 10)
    assert order.state is S.NEW and order.order_id > 0 and order.leaves_qty == 10
    assert [type(e).__name__ for _, e in trader.updates] == ["OrderAccepted"]


def test_oms_partial_then_full_fill_moves_to_partially_filled_then_filled():
    _, oms, other, _ = _market()
    order = oms.submit(Side.BUY, 100, 10)
    other.submit(Side.SELL, 100, 4)
    assert order.state is S.PARTIALLY_FILLED and order.leaves_qty == 6 and order.filled_qty == 4
    other.submit(Side.SELL, 100, 6)
    assert order.state is S.FILLED and not order.is_open
    assert oms.open_qty(0, Side.BUY) == 0


def test_oms_cancel_goes_pending_cancel_then_canceled():
    market, oms, _, trader = _market()
    order = oms.submit(Side.SELL, 105, 10)
    states = []
    trader.handle_order = lambda o, e: states.append(o.state)
    assert oms.cancel(order.client_order_id)
    assert states == [S.CANCELED] and order.state is S.CANCELED
    assert market.engine.live_orders(0) == 0


def test_oms_replace_goes_pending_replace_then_replaced():
    market, oms, _, _ = _market()
    order = oms.submit(Side.SELL, 105, 10)
    assert oms.replace(order.client_order_id, 107, 4)
    assert order.state is S.REPLACED and order.price_ticks == 107 and order.leaves_qty == 4 and order.qty == 4
    assert market.engine.l1(0).ask_px_ticks == 107


def test_oms_replaced_order_can_fill_and_cancel():
    _, oms, other, _ = _market()
    order = oms.submit(Side.SELL, 105, 10)
    oms.replace(order.client_order_id, 104, 10)
    other.submit(Side.BUY, 104, 3)
    assert order.state is S.PARTIALLY_FILLED
    oms.cancel(order.client_order_id)
    assert order.state is S.CANCELED and order.filled_qty == 3


def test_oms_venue_reject_is_rejected_with_venue_reason():
    _, oms, _, _ = _market()
    order = oms.submit(Side.BUY, 0, 10)  # below the price band
    assert order.state is S.REJECTED and order.reject_reason == RejectReason.OUT_OF_BAND
    assert oms.open_orders() == []


def test_oms_ioc_remainder_expires():
    _, oms, other, _ = _market()
    other.submit(Side.SELL, 100, 3)
    order = oms.submit(Side.BUY, 100, 10, tif=TimeInForce.IOC)
    assert order.state is S.EXPIRED and order.filled_qty == 3 and order.leaves_qty == 0


def test_oms_cancel_of_pending_new_order_is_sent_on_accept():
    market, oms, _, trader = _market()
    ctx = market.context(trader)
    held = []
    original = ctx.send
    ctx.send = held.append  # hold the new order in flight
    order = oms.submit(Side.BUY, 100, 10)
    assert oms.cancel(order.client_order_id) and order.is_cancel_on_ack and len(held) == 1
    ctx.send = original
    ctx.send(held[0])
    assert order.state is S.CANCELED


def test_oms_cancel_reject_after_fill_keeps_filled():
    market, oms, other, trader = _market()
    ctx = market.context(trader)
    order = oms.submit(Side.BUY, 100, 10)
    held = []
    original = ctx.send
    ctx.send = held.append
    oms.cancel(order.client_order_id)  # in flight
    assert order.state is S.PENDING_CANCEL
    other.submit(Side.SELL, 100, 10)  # fills the order before the cancel arrives
    assert order.state is S.FILLED
    ctx.send = original
    ctx.send(held[0])  # the venue answers UNKNOWN_ORDER
    assert order.state is S.FILLED
    assert isinstance(trader.updates[-1][1], OrderRejected)


def test_oms_cancel_reject_resumes_live_state():
    market, oms, other, trader = _market()
    ctx = market.context(trader)
    order = oms.submit(Side.BUY, 100, 10)
    other.submit(Side.SELL, 100, 4)
    held = []
    ctx.send = held.append
    oms.cancel(order.client_order_id)
    assert order.state is S.PENDING_CANCEL
    # the venue refuses the cancel (as it would for a wrong owner)
    oms.on_event(
        OrderRejected(
            symbol_id=0,
            client_order_id=held[0].client_order_id,
            order_id=order.order_id,
            reason=RejectReason.UNKNOWN_ORDER,
        )
    )
    assert order.state is S.PARTIALLY_FILLED and order.is_live


def test_oms_replace_reject_resumes_live_state_and_exposure():
    market, oms, _, trader = _market()
    ctx = market.context(trader)
    order = oms.submit(Side.BUY, 100, 10)
    held = []
    ctx.send = held.append
    oms.replace(order.client_order_id, 101, 30)
    assert order.state is S.PENDING_REPLACE and oms.open_qty(0, Side.BUY) == 30
    oms.on_event(
        OrderRejected(
            symbol_id=0,
            client_order_id=held[0].client_order_id,
            order_id=order.order_id,
            reason=RejectReason.QTY_TOO_LARGE,
        )
    )
    assert order.state is S.NEW and order.price_ticks == 100 and oms.open_qty(0, Side.BUY) == 10


def test_oms_fill_for_canceled_order_raises_invariant_error():
    _, oms, _, _ = _market()
    order = oms.submit(Side.BUY, 100, 10)
    oms.cancel(order.client_order_id)
    fill = OrderFilled(
        symbol_id=0,
        order_id=order.order_id,
        contra_order_id=99,
        client_order_id=1,
        owner_id=1,
        exec_id=7,
        side=Side.BUY,
        price_ticks=100,
        qty=1,
        leaves_qty=9,
        aggressor_side=Side.SELL,
        is_aggressor=False,
    )
    with pytest.raises(InvariantError, match="FILL in state CANCELED"):
        oms.on_event(fill)


def test_oms_event_for_unknown_order_raises_invariant_error():
    _, oms, _, _ = _market()
    with pytest.raises(InvariantError, match="unknown venue order id"):
        oms.on_event(
            OrderCanceled(
                symbol_id=0,
                order_id=12345,
                client_order_id=1,
                owner_id=1,
                side=Side.BUY,
                price_ticks=1,
                qty=1,
                leaves_qty=0,
                reason=RejectReason.USER,
            )
        )


def test_oms_self_trade_prevention_cancel_is_unsolicited_cancel():
    market = FakeMarket([Instrument(symbol="X")], stp_mode=StpMode.CANCEL_RESTING)
    trader = ManualStrategy("t")
    market.add(trader)
    market.start()
    resting = trader.oms.submit(Side.SELL, 100, 5)
    trader.oms.submit(Side.BUY, 100, 5)
    assert resting.state is S.CANCELED


def test_oms_replace_of_not_live_order_is_refused_without_sending():
    market, oms, _, _ = _market()
    order = oms.submit(Side.BUY, 100, 10)
    oms.cancel(order.client_order_id)
    before = len(market.commands)
    assert not oms.replace(order.client_order_id, 101, 10)
    assert not oms.cancel(order.client_order_id)
    assert len(market.commands) == before


def test_oms_client_order_ids_come_from_its_own_counter():
    market, oms, other, _ = _market()
    a = oms.submit(Side.BUY, 100, 1)
    b = other.submit(Side.BUY, 99, 1)
    c = oms.submit(Side.BUY, 98, 1)
    assert (a.client_order_id, b.client_order_id, c.client_order_id) == (1, 1, 2)
    assert [cmd.client_order_id for cmd in market.commands if isinstance(cmd, NewOrder)] == [1, 1, 2]
