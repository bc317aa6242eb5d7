"""Core vocabulary: instruments, clock, RNG streams, struct <-> record round trips."""

from decimal import Decimal

import numpy as np
import pytest

from hftsim.core import (
    COMMAND_DTYPE,
    CancelOrder,
    ConfigError,
    EndSession,
    Instrument,
    InvariantError,
    NewOrder,
    OrderType,
    ReplaceOrder,
    Side,
    SimClock,
    TimeInForce,
    check_dtype,
    commands_to_array,
    rng_for,
)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"symbol": ""}, "symbol must be 1 to 8"),
        ({"symbol": "TOOLONGSYM"}, "symbol must be 1 to 8"),
        ({"symbol": "X", "tick_size": "abc"}, "tick_size 'abc' is not a decimal"),
        ({"symbol": "X", "tick_size": "0"}, "tick_size must be > 0"),
        ({"symbol": "X", "lot_size": 0}, "lot_size must be >= 1"),
        ({"symbol": "X", "band_low_ticks": 10, "band_high_ticks": 5}, "band_high_ticks \\(5\\) is below"),
        ({"symbol": "X", "band_low_ticks": 1, "band_high_ticks": 1 << 25}, "ticks wide"),
    ],
)
def test_instrument_invalid_definition_names_the_field(kwargs, message):
    with pytest.raises(ConfigError, match=message):
        Instrument(**kwargs)


def test_instrument_price_conversion_on_and_off_the_grid():
    ins = Instrument(symbol="X", tick_size="0.05")
    assert ins.to_ticks("100.05") == 2001 and ins.to_ticks(Decimal("100.07")) is None
    assert ins.to_price(2001) == Decimal("100.05")


def test_simclock_moves_forward_only():
    clock = SimClock(10)
    clock.advance_to(10)
    clock.advance_to(25)
    assert clock.now_ns() == 25
    with pytest.raises(InvariantError, match="backwards"):
        clock.advance_to(24)


def test_rng_streams_are_reproducible_and_independent_per_component():
    a1, a2, b = rng_for(7, "flow.a").random(5), rng_for(7, "flow.a").random(5), rng_for(7, "flow.b").random(5)
    np.testing.assert_array_equal(a1, a2)
    assert not np.allclose(a1, b)
    assert not np.allclose(a1, rng_for(8, "flow.a").random(5))


def test_commands_to_array_round_trips_every_field():
    cmds = [
        NewOrder(
            ts_event=5,
            symbol_id=1,
            client_order_id=9,
            owner_id=3,
            side=Side.SELL,
            qty=200,
            price_ticks=101,
            order_type=OrderType.LIMIT,
            tif=TimeInForce.IOC,
            post_only=True,
        ),
        CancelOrder(ts_event=6, symbol_id=1, order_id=4, owner_id=3, client_order_id=10),
        ReplaceOrder(
            ts_event=7, symbol_id=1, order_id=4, owner_id=3, client_order_id=11, price_ticks=99, qty=50
        ),
        EndSession(ts_event=8, symbol_id=1),
    ]
    arr = commands_to_array(cmds, first_seq=100)
    assert arr.dtype == COMMAND_DTYPE and arr["seq"].tolist() == [100, 101, 102, 103]
    assert arr[0].tolist() == (100, 5, 0, 9, 101, 200, 3, 1, 1, -1, 1, 3, 1)
    assert arr["kind"].tolist() == [1, 2, 3, 4] and arr[2]["qty"] == 50 and arr[1]["order_id"] == 4
    assert arr.tobytes() == commands_to_array(cmds, first_seq=100).tobytes()  # padding is zeroed


def test_check_dtype_accepts_exact_dtype_only():
    check_dtype(np.zeros(2, dtype=COMMAND_DTYPE), COMMAND_DTYPE, "commands")
    with pytest.raises(ConfigError, match="missing fields"):
        check_dtype(np.zeros(2, dtype=[("seq", "<i8")]), COMMAND_DTYPE, "commands")
