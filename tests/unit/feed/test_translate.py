"""Events -> ITCH: a book rebuilt from the ITCH stream equals the engine's book after every command."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE
from hftsim.core.enums import CommandKind, StpMode
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.matching import MatchingEngine
from hftsim.net.feed.book import ItchBook
from hftsim.net.feed.translate import EVENT_FIELDS, REF_ORDER_MASK, EventTranslator, price_scale_e4
from hftsim.net.itch import AddOrder, OrderCancel, OrderDelete, OrderExecuted, OrderReplace, decode
from tests.strategies import INSTRUMENTS, command_records


def assert_same_book(engine: MatchingEngine, book: ItchBook, translator: EventTranslator) -> None:
    for ins in engine.instruments:
        scale = price_scale_e4(ins)
        theirs = [
            (int(r["order_id"]), int(r["side"]), int(r["price_ticks"]), int(r["leaves_qty"]))
            for r in engine.l3(ins.symbol_id)
        ]
        ours = [
            (ref & REF_ORDER_MASK, side, px // scale, shares)
            for ref, side, px, shares in book.l3(ins.symbol_id + 1)
        ]
        assert ours == theirs
        l2 = engine.l2(ins.symbol_id, depth=1000)
        bids, asks = book.l2(ins.symbol_id + 1, depth=1000)
        assert [(p // scale, q, n) for p, q, n in bids] == [
            (lv.price_ticks, lv.qty, lv.orders) for lv in l2.bids
        ]
        assert [(p // scale, q, n) for p, q, n in asks] == [
            (lv.price_ticks, lv.qty, lv.orders) for lv in l2.asks
        ]
    assert translator.live_orders() == len(book.orders)


def replay(commands: np.ndarray, stp: StpMode) -> None:
    engine = MatchingEngine(INSTRUMENTS, stp_mode=stp)
    translator = EventTranslator(INSTRUMENTS)
    book = ItchBook(strict=True)
    for message in translator.start_of_day(0):
        book.apply_bytes(message)
    for i in range(len(commands)):
        events = engine.run_batch(commands[i : i + 1])
        for message in translator.translate(events):
            book.apply_bytes(message)
        assert_same_book(engine, book, translator)
    snapshot = ItchBook(strict=True)
    for message in translator.snapshot(0):
        snapshot.apply_bytes(message)
    for ins in INSTRUMENTS:
        assert snapshot.l3(ins.symbol_id + 1) == book.l3(ins.symbol_id + 1)
    assert translator.unknown_makers == 0


@pytest.mark.slow
@pytest.mark.parametrize("stp", list(StpMode))
@settings(max_examples=60)
@given(commands=command_records())
def test_translate_random_streams_book_from_itch_equals_engine_book(stp, commands):
    replay(commands, stp)


def _cmd(kind, side=1, px=100, qty=10, order_id=0, owner=1, tif=1, clid=0):
    rec = np.zeros(1, dtype=COMMAND_DTYPE)
    rec["kind"], rec["side"], rec["price_ticks"], rec["qty"] = kind, side, px, qty
    rec["order_id"], rec["owner_id"], rec["order_type"], rec["tif"], rec["client_order_id"] = (
        order_id,
        owner,
        1,
        tif,
        clid,
    )
    return rec


def _run(engine, translator, *commands):
    out = []
    for c in commands:
        out += [decode(m) for m in translator.translate(engine.run_batch(c))]
    return out


def test_translate_rest_fill_cancel_replace_gives_expected_messages():
    engine = MatchingEngine(INSTRUMENTS)
    tr = EventTranslator(INSTRUMENTS)
    (add,) = _run(engine, tr, _cmd(CommandKind.NEW, side=-1, px=101, qty=10, owner=1))
    assert isinstance(add, AddOrder) and add.side == "S" and add.price_e4 == 101 * 100 and add.shares == 10
    assert add.order_reference_number == 1 and add.stock == "AAA" and add.stock_locate == 1
    (execd,) = _run(engine, tr, _cmd(CommandKind.NEW, side=1, px=101, qty=4, owner=2))
    assert isinstance(execd, OrderExecuted) and execd.executed_shares == 4 and execd.match_number == 1
    (cut,) = _run(engine, tr, _cmd(CommandKind.REPLACE, px=101, qty=5, order_id=1, owner=1))
    assert isinstance(cut, OrderCancel) and cut.cancelled_shares == 1
    (moved,) = _run(engine, tr, _cmd(CommandKind.REPLACE, px=103, qty=5, order_id=1, owner=1))
    assert isinstance(moved, OrderReplace) and moved.original_order_reference_number == 1
    assert moved.new_order_reference_number == 1 | 1 << 40 and moved.price_e4 == 10300
    (gone,) = _run(engine, tr, _cmd(CommandKind.CANCEL, order_id=1, owner=1))
    assert isinstance(gone, OrderDelete) and gone.order_reference_number == 1 | 1 << 40


def test_translate_replace_that_trades_deletes_old_reference_first():
    engine = MatchingEngine(INSTRUMENTS)
    tr = EventTranslator(INSTRUMENTS)
    _run(engine, tr, _cmd(CommandKind.NEW, side=-1, px=102, qty=3, owner=1))  # order 1
    _run(engine, tr, _cmd(CommandKind.NEW, side=1, px=99, qty=5, owner=2))  # order 2
    msgs = _run(engine, tr, _cmd(CommandKind.REPLACE, px=102, qty=5, order_id=2, owner=2))
    assert [type(m) for m in msgs] == [OrderDelete, OrderExecuted, AddOrder]
    assert msgs[0].order_reference_number == 2 and msgs[2].order_reference_number == 2 | 1 << 40
    assert msgs[2].shares == 2


def test_translate_event_fields_match_event_dtype():
    assert EVENT_DTYPE.names == EVENT_FIELDS


def test_price_scale_more_than_four_decimals_raises_config_error():
    with pytest.raises(ConfigError, match="4 decimals"):
        price_scale_e4(Instrument(symbol="X", tick_size="0.00001"))
    with pytest.raises(ConfigError, match="Price\\(4\\)"):
        price_scale_e4(Instrument(symbol="X", tick_size="1", band_high_ticks=1_000_000))
