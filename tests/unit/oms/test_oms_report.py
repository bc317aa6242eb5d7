"""Reports: the PnL table and time series as CSV, and the PNG plots."""

from __future__ import annotations

import csv

import pytest

from hftsim.core import Side
from hftsim.testing import FakeMarket, ManualStrategy
from hftsim.trading.oms import summary_rows, write_report


def _traded():
    market = FakeMarket()
    a = ManualStrategy("a", fees={"maker_fee_units": -1_000, "taker_fee_units": 2_000}, mark_interval_ns=0)
    b = ManualStrategy("b", fees={"maker_fee_units": -1_000, "taker_fee_units": 2_000}, mark_interval_ns=0)
    market.add(a)
    market.add(b)
    market.start()
    for step, px in enumerate([1_000, 1_002, 1_001, 1_004]):
        market.advance_to(step * 1_000_000)
        a.oms.submit(Side.SELL, px, 10)
        b.oms.submit(Side.BUY, px, 10)
        a.oms.submit(Side.BUY, px - 50, 1)  # a quote away from the trades: a mid for the marks
        a.oms.submit(Side.SELL, px + 50, 1)
    market.stop()
    return market, a, b


def test_summary_rows_add_up_per_agent():
    market, a, b = _traded()
    rows = summary_rows([a.oms, b.oms])
    by_agent = {(r["agent"], r["symbol_id"]): r for r in rows}
    assert by_agent[("b", 0)]["position"] == 40 and by_agent[("a", 0)]["position"] == -40
    assert by_agent[("b", "TOTAL")]["fees_units"] == 40 * 2_000
    assert by_agent[("a", "TOTAL")]["fees_units"] == -40 * 1_000
    assert by_agent[("a", 0)]["total_pnl_ticks"] == pytest.approx(
        -by_agent[("b", 0)]["total_pnl_ticks"] - (80_000 - 40_000) / 10_000
    )


def test_series_are_recorded_as_arrays():
    market, a, b = _traded()
    fills = b.oms.fills_array()
    assert fills["position"].tolist() == [10, 20, 30, 40]
    assert fills["ts_event"].tolist() == [0, 1_000_000, 2_000_000, 3_000_000]
    marks = b.oms.marks_array()
    assert len(marks) >= 4 and marks["position"][-1] == 40


@pytest.mark.slow
def test_write_report_writes_csv_tables_and_png_plots(tmp_path):
    market, a, b = _traded()
    paths = write_report([a.oms, b.oms], tmp_path / "report")
    assert set(paths) == {"summary", "fills", "marks", "pnl", "inventory"}
    with open(paths["summary"]) as f:
        rows = list(csv.DictReader(f))
    assert [(r["agent"], r["symbol_id"]) for r in rows] == [
        ("a", "0"),
        ("a", "TOTAL"),
        ("b", "0"),
        ("b", "TOTAL"),
    ]
    with open(paths["fills"]) as f:
        assert sum(1 for _ in f) == 1 + 8
    for name in ("pnl", "inventory"):
        assert paths[name].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
