"""Book views and the state digest."""

import numpy as np

from hftsim.book import L1, books_digest
from hftsim.core import L3_DTYPE


def test_l1_spread_and_mid_only_with_both_sides():
    both = L1(
        symbol_id=0, bid_px_ticks=99, bid_qty=5, bid_orders=1, ask_px_ticks=101, ask_qty=3, ask_orders=1
    )
    assert both.spread_ticks == 2 and both.mid_ticks == 100.0
    one = L1(symbol_id=0, bid_px_ticks=99, bid_qty=5, bid_orders=1, ask_px_ticks=0, ask_qty=0, ask_orders=0)
    assert one.spread_ticks is None and one.mid_ticks is None and not one.has_ask


def test_digest_depends_on_every_field_and_order_but_not_padding():
    rows = np.zeros(2, dtype=L3_DTYPE)
    rows["order_id"], rows["price_ticks"], rows["leaves_qty"], rows["side"] = [1, 2], [100, 100], [5, 6], 1
    base = books_digest([rows], 3, 1)
    dirty = np.frombuffer(bytes(b ^ 0xFF for b in rows.tobytes()), dtype=L3_DTYPE).copy()
    for name in L3_DTYPE.names:
        dirty[name] = rows[name]  # same fields, garbage in the padding bytes
    assert books_digest([dirty], 3, 1) == base
    assert books_digest([rows[::-1].copy()], 3, 1) != base  # priority order matters
    assert books_digest([rows], 4, 1) != base and books_digest([rows], 3, 2) != base
    changed = rows.copy()
    changed["leaves_qty"][1] = 7
    assert books_digest([changed], 3, 1) != base
