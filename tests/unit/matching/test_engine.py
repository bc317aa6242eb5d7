"""Matching rules, run on both the compiled engine and its naive twin."""

import numpy as np
import pytest

from hftsim.core import (
    COMMAND_DTYPE,
    CancelOrder,
    ConfigError,
    EndSession,
    EventKind,
    Instrument,
    NewOrder,
    OrderAccepted,
    OrderCanceled,
    OrderExpired,
    OrderFilled,
    OrderRejected,
    OrderReplaced,
    OrderType,
    RejectReason,
    ReplaceOrder,
    Side,
    StpMode,
    TimeInForce,
    Trade,
    commands_to_array,
)
from hftsim.matching import MatchingEngine, _core

INS = (
    Instrument(
        symbol="XYZ",
        symbol_id=0,
        lot_size=10,
        price_step_ticks=5,
        band_low_ticks=100,
        band_high_ticks=200,
        max_order_qty=1000,
    ),
)
BUY, SELL = Side.BUY, Side.SELL


@pytest.fixture(params=["fast", "reference"])
def engine(request):
    return MatchingEngine(INS, StpMode.CANCEL_RESTING, impl=request.param)


def limit(side, px, qty, owner=1, clid=0, tif=TimeInForce.GTC, post_only=False):
    return NewOrder(
        symbol_id=0,
        client_order_id=clid,
        owner_id=owner,
        side=side,
        price_ticks=px,
        qty=qty,
        tif=tif,
        post_only=post_only,
    )


def market(side, qty, owner=1, tif=TimeInForce.IOC):
    return NewOrder(
        symbol_id=0,
        client_order_id=0,
        owner_id=owner,
        side=side,
        qty=qty,
        order_type=OrderType.MARKET,
        tif=tif,
    )


def of(events, cls):
    return [e for e in events if isinstance(e, cls)]


def test_core_record_sizes_match_numpy_dtypes():
    from hftsim.core import EVENT_DTYPE, L3_DTYPE

    assert (_core.CMD_SIZE, _core.EVENT_SIZE, _core.L3_SIZE) == (
        COMMAND_DTYPE.itemsize,
        EVENT_DTYPE.itemsize,
        L3_DTYPE.itemsize,
    )


@pytest.mark.parametrize(
    ("cmd", "reason"),
    [
        (
            NewOrder(symbol_id=7, client_order_id=1, side=BUY, qty=10, price_ticks=150),
            RejectReason.UNKNOWN_SYMBOL,
        ),
        (limit(BUY, 151, 10), RejectReason.OFF_TICK),
        (limit(BUY, 95, 10), RejectReason.OUT_OF_BAND),
        (limit(SELL, 205, 10), RejectReason.OUT_OF_BAND),
        (limit(BUY, 150, 0), RejectReason.INVALID_QTY),
        (limit(BUY, 150, -10), RejectReason.INVALID_QTY),
        (limit(BUY, 150, 15), RejectReason.OFF_LOT),
        (limit(BUY, 150, 1010), RejectReason.QTY_TOO_LARGE),
        (CancelOrder(symbol_id=0, order_id=999, owner_id=1), RejectReason.UNKNOWN_ORDER),
        (
            ReplaceOrder(symbol_id=0, order_id=999, owner_id=1, client_order_id=5, price_ticks=150, qty=10),
            RejectReason.UNKNOWN_ORDER,
        ),
        (market(BUY, 10, tif=TimeInForce.IOC).__replace__(post_only=True), RejectReason.INVALID_ORDER_TYPE),
    ],
)
def test_engine_bad_command_rejected_with_reason_and_book_unchanged(engine, cmd, reason):
    engine.submit(limit(SELL, 160, 10, owner=2, clid=1))
    before = engine.digest()
    events = engine.submit(cmd)
    assert len(events) == 1 and isinstance(events[0], OrderRejected)
    assert events[0].reason == reason
    assert engine.digest() == before


def test_engine_invalid_enum_values_rejected(engine):
    before = engine.digest()
    assert engine.new_order(1, 0, 0, 0, 1, 1, 0, 150, 10, 1, 1) == 1  # side 0
    assert engine.last_events()["reason"][0] == RejectReason.INVALID_SIDE
    engine.new_order(2, 0, 0, 1, 9, 1, 0, 150, 10, 1, 1)
    assert engine.last_events()["reason"][0] == RejectReason.INVALID_ORDER_TYPE
    engine.new_order(3, 0, 0, 1, 1, 7, 0, 150, 10, 1, 1)
    assert engine.last_events()["reason"][0] == RejectReason.INVALID_TIF
    assert engine.digest() == before


def test_engine_duplicate_client_order_id_of_live_order_rejected(engine):
    engine.submit(limit(BUY, 150, 10, owner=1, clid=42))
    before = engine.digest()
    [e] = engine.submit(limit(BUY, 145, 10, owner=1, clid=42))
    assert e.reason == RejectReason.DUPLICATE_CLIENT_ORDER_ID and engine.digest() == before
    # another owner may use the same client order id
    assert isinstance(engine.submit(limit(BUY, 145, 10, owner=2, clid=42))[0], OrderAccepted)


def test_engine_cancel_of_another_owners_order_rejected(engine):
    [acc, _] = engine.submit(limit(BUY, 150, 10, owner=1))
    [e] = engine.submit(CancelOrder(symbol_id=0, order_id=acc.order_id, owner_id=2))
    assert e.reason == RejectReason.UNKNOWN_ORDER and engine.live_orders(0) == 1


def test_engine_price_time_priority_oldest_first_at_resting_price(engine):
    first = engine.submit(limit(SELL, 160, 10, owner=1))[0].order_id
    second = engine.submit(limit(SELL, 160, 10, owner=2))[0].order_id
    better = engine.submit(limit(SELL, 155, 10, owner=3))[0].order_id
    events = engine.submit(limit(BUY, 170, 30, owner=4))
    trades = of(events, Trade)
    assert [t.resting_order_id for t in trades] == [better, first, second]
    assert [t.price_ticks for t in trades] == [155, 160, 160]
    assert all(t.aggressor_side == BUY for t in trades)
    taker = [f for f in of(events, OrderFilled) if f.is_aggressor]
    assert [f.leaves_qty for f in taker] == [20, 10, 0]
    assert engine.live_orders(0) == 0


def test_engine_partial_fill_rests_remainder_and_reports_both_orders(engine):
    maker = engine.submit(limit(SELL, 160, 10, owner=1, clid=7))[0].order_id
    events = engine.submit(limit(BUY, 160, 30, owner=2, clid=8))
    m, t = of(events, OrderFilled)
    assert (m.order_id, m.contra_order_id, m.client_order_id, m.leaves_qty) == (maker, t.order_id, 7, 0)
    assert (t.contra_order_id, t.client_order_id, t.leaves_qty, t.exec_id) == (maker, 8, 20, m.exec_id)
    l1 = engine.l1(0)
    assert (l1.bid_px_ticks, l1.bid_qty, l1.has_ask) == (160, 20, False)


def test_engine_ioc_remainder_expires_and_fok_is_all_or_nothing(engine):
    engine.submit(limit(SELL, 160, 20, owner=1))
    ioc = engine.submit(limit(BUY, 160, 30, owner=2, tif=TimeInForce.IOC))
    [exp] = of(ioc, OrderExpired)
    assert exp.qty == 10 and exp.reason == RejectReason.NO_LIQUIDITY and engine.live_orders(0) == 0
    engine.submit(limit(SELL, 160, 20, owner=1))
    before = engine.digest()
    fok = engine.submit(limit(BUY, 160, 30, owner=2, tif=TimeInForce.FOK))
    assert not of(fok, Trade) and of(fok, OrderExpired)[0].qty == 30
    assert engine.l3(0)["leaves_qty"].tolist() == [20] and engine.digest() != before  # order id consumed
    ok = engine.submit(limit(BUY, 160, 20, owner=2, tif=TimeInForce.FOK))
    assert sum(t.qty for t in of(ok, Trade)) == 20


def test_engine_market_order_sweeps_levels_and_expires_on_empty_book(engine):
    engine.submit(limit(SELL, 160, 10, owner=1))
    engine.submit(limit(SELL, 170, 10, owner=1))
    events = engine.submit(market(BUY, 30, owner=2))
    assert [t.price_ticks for t in of(events, Trade)] == [160, 170]
    [exp] = of(events, OrderExpired)
    assert exp.qty == 10 and exp.price_ticks == 0
    empty = engine.submit(market(SELL, 10, owner=2))
    assert isinstance(empty[0], OrderAccepted) and of(empty, OrderExpired)[0].qty == 10


def test_engine_post_only_crossing_rejected_resting_accepted(engine):
    engine.submit(limit(SELL, 160, 10, owner=1))
    [rej] = engine.submit(limit(BUY, 160, 10, owner=2, post_only=True))
    assert rej.reason == RejectReason.POST_ONLY_WOULD_CROSS
    acc = engine.submit(limit(BUY, 155, 10, owner=2, post_only=True))[0]
    assert acc.is_post_only


def test_engine_replace_decrease_keeps_priority_increase_and_price_change_lose_it(engine):
    a = engine.submit(limit(BUY, 150, 30, owner=1, clid=1))[0].order_id
    b = engine.submit(limit(BUY, 150, 30, owner=2, clid=1))[0].order_id
    [rep, delta] = engine.submit(
        ReplaceOrder(symbol_id=0, order_id=a, owner_id=1, client_order_id=2, price_ticks=150, qty=20)
    )
    assert (
        rep.is_priority_kept and (rep.prev_leaves_qty, rep.leaves_qty) == (30, 20) and delta.level_qty == 50
    )
    assert engine.l3(0)["order_id"].tolist() == [a, b]
    rep = engine.submit(
        ReplaceOrder(symbol_id=0, order_id=a, owner_id=1, client_order_id=3, price_ticks=150, qty=40)
    )[0]
    assert not rep.is_priority_kept and engine.l3(0)["order_id"].tolist() == [b, a]
    engine.submit(
        ReplaceOrder(symbol_id=0, order_id=b, owner_id=2, client_order_id=2, price_ticks=155, qty=30)
    )
    assert engine.l3(0)["order_id"].tolist() == [b, a] and engine.l1(0).bid_px_ticks == 155


def test_engine_replace_to_crossing_price_trades_as_aggressor(engine):
    engine.submit(limit(SELL, 160, 10, owner=1))
    bid = engine.submit(limit(BUY, 150, 20, owner=2, clid=1))[0].order_id
    events = engine.submit(
        ReplaceOrder(symbol_id=0, order_id=bid, owner_id=2, client_order_id=2, price_ticks=165, qty=20)
    )
    assert isinstance(events[0], OrderReplaced)
    [trade] = of(events, Trade)
    assert (trade.price_ticks, trade.qty, trade.aggressor_order_id) == (160, 10, bid)
    assert engine.l1(0).bid_px_ticks == 165 and engine.l1(0).bid_qty == 10


def test_engine_day_orders_expire_at_end_of_session_gtc_stay(engine):
    engine.submit(limit(BUY, 150, 10, owner=1, tif=TimeInForce.DAY))
    gtc = engine.submit(limit(BUY, 150, 10, owner=1))[0].order_id
    engine.submit(limit(SELL, 170, 10, owner=1, tif=TimeInForce.DAY))
    events = engine.submit(EndSession(symbol_id=0))
    expired = of(events, OrderExpired)
    assert [e.price_ticks for e in expired] == [150, 170]
    assert all(e.reason == RejectReason.END_OF_SESSION for e in expired)
    assert engine.l3(0)["order_id"].tolist() == [gtc]


@pytest.mark.parametrize("impl", ["fast", "reference"])
@pytest.mark.parametrize(
    ("mode", "trades", "resting_left"),
    [
        (StpMode.NONE, 1, 2),  # traded 10 of its own 20
        (StpMode.CANCEL_RESTING, 1, 0),  # own order canceled, traded with owner 2
        (StpMode.CANCEL_INCOMING, 0, 2),
        (StpMode.DECREMENT_BOTH, 0, 2),  # own order decremented to 10, incoming to 0
    ],
)
def test_engine_self_trade_prevention_modes(impl, mode, trades, resting_left):
    engine = MatchingEngine(INS, mode, impl=impl)
    engine.submit(limit(SELL, 160, 20, owner=1))  # own order, first in line
    engine.submit(limit(SELL, 160, 10, owner=2))
    events = engine.submit(limit(BUY, 160, 10, owner=1, tif=TimeInForce.IOC))
    assert len(of(events, Trade)) == trades
    assert engine.live_orders(0) == resting_left
    if mode == StpMode.NONE:
        assert of(events, Trade)[0].resting_order_id == 1  # traded with itself
    if mode != StpMode.NONE and trades:
        assert of(events, OrderCanceled)[0].reason == RejectReason.SELF_TRADE
    if mode == StpMode.DECREMENT_BOTH:
        canceled = of(events, OrderCanceled)
        assert [(c.order_id, c.qty, c.leaves_qty) for c in canceled] == [(1, 10, 10), (3, 10, 0)]


def test_engine_anonymous_owner_zero_is_never_self_trade_protected(engine):
    engine.submit(limit(SELL, 160, 10, owner=0))
    assert len(of(engine.submit(limit(BUY, 160, 10, owner=0)), Trade)) == 1


def test_engine_batch_rejects_malformed_arrays_before_applying_anything(engine):
    engine.submit(limit(BUY, 150, 10))
    before = engine.digest()
    wrong_type = np.zeros(3, dtype=[(n, "<i4") for n in COMMAND_DTYPE.names])
    with pytest.raises(ConfigError, match="wrong dtype"):
        engine.run_batch(wrong_type)
    missing = np.zeros(3, dtype=[("seq", "<i8"), ("qty", "<i8")])
    with pytest.raises(ConfigError, match="missing fields.*price_ticks"):
        engine.run_batch(missing)
    with pytest.raises(ConfigError, match="1-D"):
        engine.run_batch(np.zeros((2, 2), dtype=COMMAND_DTYPE))
    with pytest.raises(ConfigError, match="structured array"):
        engine.run_batch([1, 2, 3])
    assert engine.digest() == before


def test_engine_batch_unknown_command_kind_rejected(engine):
    cmds = np.zeros(1, dtype=COMMAND_DTYPE)
    cmds["kind"] = 99
    events = engine.run_batch(cmds)
    assert events["kind"].tolist() == [EventKind.REJECTED]
    assert events["reason"].tolist() == [RejectReason.INVALID_COMMAND]


def test_engine_struct_and_batch_apis_give_identical_events(engine):
    cmds = [
        limit(SELL, 160, 10, owner=1, clid=1),
        limit(SELL, 165, 20, owner=2, clid=1),
        limit(BUY, 170, 25, owner=3, clid=1),
        CancelOrder(symbol_id=0, order_id=2, owner_id=2),
        limit(BUY, 95, 10),
    ]
    per_command = []
    for seq, c in enumerate(cmds, start=1):
        engine.submit(c, seq)
        per_command.append(engine.last_events().copy())
    other = MatchingEngine(INS, impl=engine.impl)
    np.testing.assert_array_equal(other.run_batch(commands_to_array(cmds)), np.concatenate(per_command))


def test_engine_arena_grows_and_recycles_slots():
    engine = MatchingEngine(INS, impl="fast")
    for i in range(5000):  # beyond the initial 1024 slots
        engine.new_order(i, 0, 0, 1, 1, 1, 0, 100 + 5 * (i % 10), 10, 1, i + 1)
    assert engine.live_orders(0) == 5000
    grown = engine._core.arena_bytes(0)
    for oid in range(1, 5001):
        engine.cancel(0, 0, 0, oid, 1, 0)
    for i in range(5000):
        engine.new_order(i, 0, 0, -1, 1, 1, 0, 200 - 5 * (i % 10), 10, 1, i + 1)
    assert engine.live_orders(0) == 5000 and engine._core.arena_bytes(0) == grown


def test_engine_rejects_bad_instrument_lists():
    with pytest.raises(ConfigError, match="symbol_id must be 0"):
        MatchingEngine([Instrument(symbol="A", symbol_id=1)])
    with pytest.raises(ConfigError, match="duplicate symbol"):
        MatchingEngine([Instrument(symbol="A", symbol_id=0), Instrument(symbol="A", symbol_id=1)])
    with pytest.raises(ConfigError, match="impl"):
        MatchingEngine(INS, impl="turbo")


def test_engine_is_freed_without_the_cyclic_gc():
    import gc
    import weakref

    gc.disable()
    try:
        engine = MatchingEngine(INS, impl="fast")
        engine.submit(limit(BUY, 150, 10))
        ref = weakref.ref(engine)
        del engine
        assert ref() is None, "MatchingEngine is part of a reference cycle"
    finally:
        gc.enable()


def test_engine_snapshot_restore_rejects_invalid_books():
    from hftsim.core import L3_DTYPE
    from hftsim.matching import EngineSnapshot

    engine = MatchingEngine(INS)
    engine.submit(limit(BUY, 150, 10, clid=1))
    engine.submit(limit(SELL, 160, 10, clid=2))
    snap = engine.snapshot()
    crossed = np.concatenate([snap.books[0], snap.books[0][:1]]).astype(L3_DTYPE)
    crossed[-1]["order_id"], crossed[-1]["side"], crossed[-1]["price_ticks"] = 99, -1, 150
    for impl in ("fast", "reference"):
        with pytest.raises(ConfigError, match="XYZ.*order 99"):
            MatchingEngine.from_snapshot(
                INS, EngineSnapshot(next_order_id=3, next_exec_id=1, books=(crossed,)), impl=impl
            )
        with pytest.raises(ConfigError, match="snapshot has 2 books"):
            MatchingEngine.from_snapshot(
                INS, EngineSnapshot(next_order_id=3, next_exec_id=1, books=snap.books * 2), impl=impl
            )
    restored = MatchingEngine.from_snapshot(INS, snap)
    assert restored.digest() == engine.digest()


def test_venue_sequences_and_stamps_commands_from_its_clock():
    from hftsim.core import SimClock
    from hftsim.matching import Venue

    clock = SimClock(1_000)
    venue = Venue(INS, clock)
    assert venue.symbol_id("XYZ") == 0
    with pytest.raises(ConfigError, match="unknown symbol 'ABC'"):
        venue.symbol_id("ABC")
    first = venue.submit(limit(SELL, 160, 10, owner=1))
    clock.advance_to(5_000)
    second = venue.submit(limit(BUY, 160, 10, owner=2))
    assert {e.ts_event for e in first} == {1_000} and {e.ts_event for e in second} == {5_000}
    assert venue.last_seq == 2
    assert venue.engine.last_events()["cmd_seq"].tolist() == [2] * len(second)


def test_engine_last_event_tuples_equal_the_records_tolist(engine):
    commands = [
        limit(SELL, 160, 10, owner=1, clid=1),
        limit(SELL, 165, 20, owner=1, clid=2),
        limit(BUY, 170, 50, owner=2, clid=3),  # fills both, rests 20
        market(SELL, 30, owner=3),  # fills 20, expires 10
        limit(BUY, 150, 10, owner=2, clid=4),
        CancelOrder(symbol_id=0, order_id=5, owner_id=2),
        CancelOrder(symbol_id=0, order_id=999, owner_id=2),  # rejected
    ]
    seen = 0
    for cmd in commands:
        engine.submit(cmd)
        records = engine.last_events().tolist()
        assert engine.last_event_tuples() == records
        seen += len(records)
    assert seen >= 10


def test_event_tuples_equal_tolist_for_arrays_bytes_and_strided_views(engine):
    from hftsim.core.arrays import EVENT_DTYPE
    from hftsim.matching import event_tuples

    engine.submit(limit(SELL, 160, 10, clid=1))
    engine.submit(limit(SELL, 165, 20, clid=2))
    engine.submit(limit(BUY, 170, 50, owner=2, clid=3))  # fills both, rests the rest
    records = np.frombuffer(b"".join(engine.last_events().tobytes() for _ in range(3)), dtype=EVENT_DTYPE)
    assert len(records) >= 6
    assert event_tuples(records) == records.tolist()
    assert event_tuples(records.tobytes()) == records.tolist()
    assert event_tuples(records[::2]) == records[::2].tolist()
    with pytest.raises(ConfigError, match="EVENT_DTYPE"):
        event_tuples(np.zeros(2, dtype=COMMAND_DTYPE))
    with pytest.raises(ValueError, match="event records"):
        event_tuples(b"x" * 95)
