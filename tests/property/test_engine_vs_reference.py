"""The compiled engine and the naive twin give the same events and books for any command stream."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from hftsim.core.arrays import EVENT_DTYPE
from hftsim.core.enums import CommandKind, EventKind, StpMode
from hftsim.matching import MatchingEngine
from tests.strategies import INSTRUMENTS, command_records


def _apply_one(engine, r) -> np.ndarray:
    kind = int(r["kind"])
    args = (int(r["seq"]), int(r["ts_event"]), int(r["symbol_id"]))
    if kind == CommandKind.NEW:
        engine.new_order(
            *args,
            int(r["side"]),
            int(r["order_type"]),
            int(r["tif"]),
            int(r["post_only"]),
            int(r["price_ticks"]),
            int(r["qty"]),
            int(r["owner_id"]),
            int(r["client_order_id"]),
        )
    elif kind == CommandKind.CANCEL:
        engine.cancel(*args, int(r["order_id"]), int(r["owner_id"]), int(r["client_order_id"]))
    elif kind == CommandKind.REPLACE:
        engine.replace(
            *args,
            int(r["order_id"]),
            int(r["owner_id"]),
            int(r["client_order_id"]),
            int(r["price_ticks"]),
            int(r["qty"]),
        )
    elif kind == CommandKind.END_SESSION:
        engine.end_session(*args)
    else:
        engine.submit_record(r.tolist())
    return np.array(engine.last_events(), dtype=EVENT_DTYPE)


def _assert_same_books(fast, ref):
    for sym in range(len(INSTRUMENTS)):
        np.testing.assert_array_equal(fast.l3(sym), ref.l3(sym))
        assert fast.l1(sym) == ref.l1(sym)
        assert fast.l2(sym, 5) == ref.l2(sym, 5)
        assert fast.live_orders(sym) == ref.live_orders(sym)
    assert fast.counters() == ref.counters()
    assert fast.digest() == ref.digest()


@given(cmds=command_records(), stp=st.sampled_from(list(StpMode)))
def test_engine_per_command_events_equal_reference(cmds, stp):
    fast = MatchingEngine(INSTRUMENTS, stp, impl="fast")
    ref = MatchingEngine(INSTRUMENTS, stp, impl="reference")
    for r in cmds:
        np.testing.assert_array_equal(_apply_one(fast, r), _apply_one(ref, r))
    _assert_same_books(fast, ref)


@given(cmds=command_records(), stp=st.sampled_from(list(StpMode)))
def test_engine_batch_equals_per_command_and_reference(cmds, stp):
    batch = MatchingEngine(INSTRUMENTS, stp, impl="fast")
    per_command = MatchingEngine(INSTRUMENTS, stp, impl="fast")
    ref = MatchingEngine(INSTRUMENTS, stp, impl="reference")
    batch_events = batch.run_batch(cmds)
    one_by_one = np.concatenate([_apply_one(per_command, r) for r in cmds])
    records = MatchingEngine(INSTRUMENTS, stp, impl="fast")
    by_record = []
    for rec in cmds.tolist():
        records.submit_record(rec)
        by_record.append(records.last_events().copy())
    np.testing.assert_array_equal(np.concatenate(by_record), one_by_one)
    np.testing.assert_array_equal(batch_events, one_by_one)
    np.testing.assert_array_equal(batch_events, ref.run_batch(cmds))
    _assert_same_books(batch, ref)


@given(cmds=command_records(), stp=st.sampled_from(list(StpMode)))
def test_engine_invariants_hold_after_every_command(cmds, stp):
    engine = MatchingEngine(INSTRUMENTS, stp, impl="fast")
    traded = {0: 0, 1: 0}
    for r in cmds:
        events = _apply_one(engine, r)
        for e in events[events["kind"] == EventKind.TRADE]:
            traded[int(e["symbol_id"])] += int(e["qty"])
        for sym in range(len(INSTRUMENTS)):
            l1 = engine.l1(sym)
            if l1.has_bid and l1.has_ask:
                assert l1.bid_px_ticks < l1.ask_px_ticks, "book crossed at rest"
            l3 = engine.l3(sym)
            assert (l3["leaves_qty"] > 0).all()
            bids, asks = l3[l3["side"] == 1], l3[l3["side"] == -1]
            assert (np.diff(bids["price_ticks"]) <= 0).all() and (np.diff(asks["price_ticks"]) >= 0).all()
            # time priority: within a level, order ids increase unless a priority-kept replace
            for side in (bids, asks):
                for px in np.unique(side["price_ticks"]):
                    level = side[side["price_ticks"] == px]
                    l2 = engine.l2(sym, 1000)
                    lv = [lv for lv in (l2.bids + l2.asks) if lv.price_ticks == px][0]
                    assert lv.qty == level["leaves_qty"].sum() and lv.orders == len(level)
    # quantity conservation: each trade takes the same quantity from both sides
    fills = engine.run_batch(np.zeros(0, dtype=cmds.dtype))
    assert len(fills) == 0
    assert all(v >= 0 for v in traded.values())


@given(
    cmds=command_records(),
    stp=st.sampled_from(list(StpMode)),
    cut=st.floats(0, 1),
    impl=st.sampled_from(["fast", "reference"]),
)
def test_engine_restored_from_snapshot_continues_identically(cmds, stp, cut, impl):
    k = int(cut * len(cmds))
    straight = MatchingEngine(INSTRUMENTS, stp, impl="fast")
    expected = straight.run_batch(cmds)
    first = MatchingEngine(INSTRUMENTS, stp, impl="fast")
    head = first.run_batch(cmds[:k])
    restored = MatchingEngine.from_snapshot(INSTRUMENTS, first.snapshot(), stp, impl=impl)
    assert restored.digest() == first.digest()
    tail = restored.run_batch(cmds[k:])
    np.testing.assert_array_equal(np.concatenate([head, tail]).astype(EVENT_DTYPE), expected)
    assert restored.digest() == straight.digest()


@pytest.mark.slow
def test_engine_long_realistic_churn_equals_reference():
    """Thousands of live orders: the arena and both maps grow past their first sizes many times."""
    from hftsim.bench.workload import bench_instruments, engine_workload

    cmds = engine_workload(40_000, n_symbols=1, seed=11)
    instruments = bench_instruments(1)
    fast = MatchingEngine(instruments, StpMode.CANCEL_RESTING, impl="fast")
    ref = MatchingEngine(instruments, StpMode.CANCEL_RESTING, impl="reference")
    np.testing.assert_array_equal(fast.run_batch(cmds), ref.run_batch(cmds))
    assert fast.live_orders(0) > 2_048  # past the initial 1,024 slots and the maps' first two sizes
    assert fast.digest() == ref.digest()
