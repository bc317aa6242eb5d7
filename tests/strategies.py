"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st

from hftsim.core.arrays import COMMAND_DTYPE
from hftsim.core.enums import CommandKind
from hftsim.core.instrument import Instrument

#: Two small symbols: tight bands make crossing, sweeping and band rejects frequent.
INSTRUMENTS = (
    Instrument(symbol="AAA", symbol_id=0, band_low_ticks=90, band_high_ticks=110, max_order_qty=500),
    Instrument(
        symbol="BBB",
        symbol_id=1,
        lot_size=10,
        price_step_ticks=2,
        band_low_ticks=1000,
        band_high_ticks=1063,
        max_order_qty=1000,
    ),
)


@st.composite
def command_records(draw, max_size: int = 120) -> np.ndarray:
    """A stream of COMMAND_DTYPE records, mostly valid, some of every kind of wrong."""
    n = draw(st.integers(min_value=1, max_value=max_size))
    out = np.zeros(n, dtype=COMMAND_DTYPE)
    for i in range(n):
        sym = draw(st.sampled_from([0, 0, 0, 1, 1, 2]))  # 2 is unknown
        kind = draw(st.sampled_from([1, 1, 1, 1, 1, 2, 2, 3, 3, 4, 9]))
        ins = INSTRUMENTS[sym] if sym < 2 else INSTRUMENTS[0]
        lo, hi = ins.band_low_ticks, ins.band_high_ticks
        mid = (lo + hi) // 2
        px = draw(st.one_of(st.integers(mid - 6, mid + 6), st.integers(lo - 3, hi + 3)))
        lot = ins.lot_size
        qty = draw(st.one_of(st.integers(1, 8).map(lambda k: k * lot), st.integers(-2, 3 * lot + 1)))
        rec = out[i]
        rec["seq"] = i + 1
        rec["ts_event"] = 1_000 * (i + 1)
        rec["symbol_id"] = sym
        rec["kind"] = kind
        rec["owner_id"] = draw(st.sampled_from([0, 1, 2, 3]))
        rec["client_order_id"] = draw(st.integers(0, 12))
        rec["price_ticks"] = px
        rec["qty"] = qty
        if kind == CommandKind.NEW:
            rec["side"] = draw(st.sampled_from([1, -1, 1, -1, 0]))
            rec["order_type"] = draw(st.sampled_from([1, 1, 1, 1, 2, 3]))
            rec["tif"] = draw(st.sampled_from([1, 1, 2, 3, 4, 0]))
            rec["post_only"] = draw(st.sampled_from([0, 0, 0, 1]))
        else:
            rec["order_id"] = draw(st.integers(0, i + 2))
    return out
