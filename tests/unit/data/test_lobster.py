"""LOBSTER message/orderbook reading, writing and error reporting."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pytest

from hftsim.core.errors import ConfigError
from hftsim.data import (
    FlowFlag,
    FlowKind,
    flow_table,
    iter_lobster,
    l1_table,
    orderbook_path_for,
    read_lobster,
    write_lobster,
)

MESSAGES = [
    "34200.000000001,1,11,100,1000000,1",  # line 1: buy 100 @ $100.00
    "34200.5,1,12,50,1000100,-1",  # line 2: sell 50 @ $100.01
    "34201,4,12,20,1000100,-1",  # line 3: buy market order hits the resting sell
    "34201.25,5,0,7,1000000,1",  # line 4: hidden execution against a buy
    "34202.000000000,3,11,100,1000000,1",  # line 5: delete the buy
    "34203,7,0,0,-1,-1",  # line 6: trading halt
]
BOOK = [
    "9999999999,0,1000000,100",
    "1000100,50,1000000,100",
    "1000100,30,1000000,100",
    "1000100,30,1000000,100",
    "1000100,30,-9999999999,0",
    "1000100,30,-9999999999,0",
]


def _write(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(line + "\n" for line in lines))
    return path


@pytest.fixture
def small_pair(tmp_path: Path) -> tuple[Path, Path]:
    return (
        _write(tmp_path / "ABC_2012-06-21_34200000_57600000_message_1.csv", MESSAGES),
        _write(tmp_path / "ABC_2012-06-21_34200000_57600000_orderbook_1.csv", BOOK),
    )


def test_read_lobster_small_file_converts_fields_exactly(small_pair):
    tables = read_lobster(*small_pair, tick_size=100, symbol_id=3)
    flow = tables.flow.to_pydict()
    assert flow["ts_ns"] == [
        34_200_000_000_001,
        34_200_500_000_000,
        34_201_000_000_000,
        34_201_250_000_000,
        34_202_000_000_000,
        34_203_000_000_000,
    ]
    assert flow["kind"] == [
        FlowKind.NEW,
        FlowKind.NEW,
        FlowKind.EXECUTE,
        FlowKind.EXECUTE,
        FlowKind.CANCEL,
        FlowKind.HALT,
    ]
    assert flow["flags"] == [0, 0, 0, FlowFlag.HIDDEN, FlowFlag.DELETE, 0]
    assert flow["price_ticks"] == [10_000, 10_001, 10_001, 10_000, 10_000, 0]
    assert flow["side"] == [1, -1, -1, 1, 1, -1]
    assert set(flow["symbol_id"]) == {3}
    assert tables.trades.to_pydict() == {
        "ts_ns": [34_201_000_000_000, 34_201_250_000_000],
        "symbol_id": [3, 3],
        "price_ticks": [10_001, 10_000],
        "qty": [20, 7],
        "aggressor_side": [1, -1],
        "exec_id": [3, 4],
    }
    l1 = tables.l1.to_pydict()
    assert l1["ts_ns"] == flow["ts_ns"]
    assert l1["ask_px_ticks"][:2] == [0, 10_001] and l1["ask_qty"][:2] == [0, 50]
    assert l1["bid_px_ticks"][3:5] == [10_000, 0] and l1["bid_qty"][3:5] == [100, 0]


def test_read_lobster_without_orderbook_has_no_l1(small_pair):
    tables = read_lobster(small_pair[0], tick_size=100)
    assert tables.l1 is None and tables.flow.num_rows == len(MESSAGES)


def test_lobster_round_trip_message_file_is_byte_identical(lobster_pair, tmp_path):
    message, book = lobster_pair
    tables = read_lobster(message, book, tick_size=100)
    out_message, out_book = tmp_path / "out_message.csv", tmp_path / "out_orderbook.csv"
    write_lobster(out_message, tables.flow, tick_size=100, orderbook_path=out_book, l1=tables.l1)
    assert out_message.read_bytes() == message.read_bytes()
    level1 = [",".join(line.split(",")[:4]) for line in book.read_text().splitlines()]
    assert out_book.read_text().splitlines() == level1
    assert not list(tmp_path.glob(".*partial"))


def test_lobster_round_trip_tables_survive_write_and_read(tmp_path):
    kinds = [
        FlowKind.NEW,
        FlowKind.CANCEL,
        FlowKind.CANCEL,
        FlowKind.EXECUTE,
        FlowKind.EXECUTE,
        FlowKind.EXECUTE,
        FlowKind.HALT,
        FlowKind.RESUME_QUOTING,
        FlowKind.RESUME_TRADING,
    ]
    flags = [0, 0, FlowFlag.DELETE, 0, FlowFlag.HIDDEN, FlowFlag.CROSS, 0, 0, 0]
    n = len(kinds)
    is_status = np.array(kinds) >= FlowKind.HALT
    flow = flow_table(
        ts_ns=np.arange(n) * 123_456_789 + 3_600 * 10**9,
        symbol_id=np.zeros(n),
        kind=kinds,
        order_id=np.where(is_status, 0, np.arange(1, n + 1)),
        side=[1, -1] * 4 + [1],
        price_ticks=np.where(is_status, 0, 2_000 + np.arange(n)),
        qty=np.where(is_status, 0, 10),
        flags=flags,
    )
    l1 = l1_table(
        ts_ns=flow.column("ts_ns"),
        symbol_id=np.zeros(n),
        bid_px_ticks=[1_999] * n,
        bid_qty=[5] * n,
        ask_px_ticks=[0] + [2_001] * (n - 1),
        ask_qty=[0] + [7] * (n - 1),
    )
    message, book = tmp_path / "x_message_1.csv", tmp_path / "x_orderbook_1.csv"
    write_lobster(message, flow, tick_size=50, orderbook_path=book, l1=l1)
    tables = read_lobster(message, book, tick_size=50)
    assert tables.flow.equals(flow)
    assert tables.l1.equals(l1)
    assert tables.trades.column("exec_id").to_pylist() == [4, 5]


def test_iter_lobster_small_blocks_equal_one_read(lobster_pair):
    whole = read_lobster(*lobster_pair, tick_size=100)
    chunks = list(iter_lobster(*lobster_pair, tick_size=100, block_bytes=700))
    assert len(chunks) > 3
    for name in ("flow", "trades", "l1"):
        assert pa.concat_tables([getattr(c, name) for c in chunks]).equals(getattr(whole, name))


def _one_bad_line(tmp_path: Path, line_number: int, text: str, lines: list[str] | None = None) -> Path:
    lines = list(MESSAGES if lines is None else lines)
    lines[line_number - 1] = text
    return _write(tmp_path / "bad_message_1.csv", lines)


@pytest.mark.parametrize(
    ("line_number", "text", "expected"),
    [
        (
            2,
            "34200.5,1,12,50,1000100",
            "line 2: expected 6 fields (Time, Type, Order ID, Size, Price, Direction), got 5",
        ),
        (3, "34201,1,12,20,1000100,-1,9", "line 3: expected 6 fields"),
        (4, "34201.25,9,0,7,1000000,1", "line 4: Type must be 1 to 7"),
        (4, "34201.25,x,0,7,1000000,1", "line 4: Type must be an integer type code 1 to 7, got x"),
        (2, "34200.5,1,12,50,10.01,-1", "line 2: Price must be an integer (dollar price x 10000), got 10.01"),
        (2, "34200.5,1,12,50,abc,-1", "line 2: Price must be an integer (dollar price x 10000), got abc"),
        (2, "34200.5,1,12,50,1000150,-1", "line 2: Price must be a multiple of the tick size 100"),
        (5, "34202,3,11,100,1000000,0", "line 5: Direction must be 1 or -1, got 0"),
        (3, "noon,4,12,20,1000100,-1", "line 3: Time must be seconds after midnight"),
        (3, "34201.0000000001,4,12,20,1000100,-1", "line 3: Time must be seconds after midnight"),
        (3, "34100,4,12,20,1000100,-1", "line 3: Time must be at least the time of the line before"),
        (2, "34200.5,1,12,0,1000100,-1", "line 2: Size must be a positive number of shares, got 0"),
        (6, "34203,7,0,0,5,-1", "line 6: Price must be -1 (halt), 0 (resume quoting) or 1 (resume trading)"),
        (3, "", "line 3: empty line"),
    ],
)
def test_read_lobster_malformed_row_names_file_line_and_field(tmp_path, line_number, text, expected):
    path = _one_bad_line(tmp_path, line_number, text)
    with pytest.raises(ConfigError) as caught:
        read_lobster(path, tick_size=100)
    assert str(path) in str(caught.value)
    assert expected in str(caught.value)


def test_read_lobster_bad_row_in_later_block_reports_its_true_line(tmp_path, lobster_text):
    lines, _ = lobster_text.lobster_lines(300, seed=5)
    fields = lines[249].split(",")
    lines[249] = ",".join(fields[:5] + ["0"])
    path = _write(tmp_path / "late_message_1.csv", lines)
    with pytest.raises(ConfigError, match=r"line 250: Direction must be 1 or -1, got 0"):
        list(iter_lobster(path, tick_size=100, block_bytes=500))


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("1000100,50,1000000", "line 2: expected 4 fields"),
        ("1000100,fifty,1000000,100", "line 2: Ask Size 1 must be an integer, got fifty"),
        ("1000150,50,1000000,100", "line 2: Ask Price 1 must be a multiple of the tick size 100"),
        ("1000100,50,1000000,-3", "line 2: Bid Size 1 must be a non-negative number of shares, got -3"),
    ],
)
def test_read_lobster_malformed_orderbook_row_names_file_line_and_field(small_pair, row, expected):
    message, book = small_pair
    lines = list(BOOK)
    lines[1] = row
    _write(book, lines)
    with pytest.raises(ConfigError) as caught:
        read_lobster(message, book, tick_size=100)
    assert str(book) in str(caught.value) and expected in str(caught.value)


@pytest.mark.parametrize("book_lines", [BOOK[:-1], BOOK + BOOK[-1:]])
def test_read_lobster_files_of_different_length_raise(small_pair, book_lines):
    message, book = small_pair
    _write(book, book_lines)
    with pytest.raises(ConfigError, match="must match line for line"):
        read_lobster(message, book, tick_size=100)


def test_read_lobster_missing_file_raises_config_error(tmp_path):
    with pytest.raises(ConfigError, match="no such file"):
        read_lobster(tmp_path / "nope_message_1.csv", tick_size=100)


@pytest.mark.parametrize("tick_size", [0, -100, 1.5, True])
def test_read_lobster_bad_tick_size_raises(small_pair, tick_size):
    with pytest.raises(ConfigError, match="tick_size"):
        read_lobster(small_pair[0], tick_size=tick_size)


def test_read_lobster_empty_file_gives_empty_tables(tmp_path):
    message, book = tmp_path / "e_message_1.csv", tmp_path / "e_orderbook_1.csv"
    message.write_text("")
    book.write_text("")
    tables = read_lobster(message, book, tick_size=100)
    assert tables.flow.num_rows == tables.trades.num_rows == tables.l1.num_rows == 0


def test_orderbook_path_for_follows_lobster_naming(tmp_path):
    path = tmp_path / "AAPL_2012-06-21_34200000_57600000_message_10.csv"
    assert orderbook_path_for(path).name == "AAPL_2012-06-21_34200000_57600000_orderbook_10.csv"
    with pytest.raises(ConfigError, match="cannot infer"):
        orderbook_path_for(tmp_path / "quotes.csv")


def test_write_lobster_replace_raises_and_writes_nothing(tmp_path):
    flow = flow_table(
        ts_ns=[1, 2],
        symbol_id=[0, 0],
        kind=[FlowKind.NEW, FlowKind.REPLACE],
        order_id=[1, 1],
        side=[1, 1],
        price_ticks=[10, 11],
        qty=[5, 5],
    )
    target = tmp_path / "r_message_1.csv"
    with pytest.raises(ConfigError, match="flow row 1: kind 3 has no LOBSTER message type"):
        write_lobster(target, flow, tick_size=100)
    assert not target.exists()


def test_write_lobster_several_symbols_raises(tmp_path):
    flow = flow_table(
        ts_ns=[1, 2],
        symbol_id=[0, 1],
        kind=[FlowKind.NEW] * 2,
        order_id=[1, 2],
        side=[1, 1],
        price_ticks=[10, 11],
        qty=[5, 5],
    )
    with pytest.raises(ConfigError, match=r"one symbol, the flow holds \[0, 1\]"):
        write_lobster(tmp_path / "s_message_1.csv", flow, tick_size=100)


def test_write_lobster_l1_length_mismatch_raises(tmp_path):
    flow = flow_table(
        ts_ns=[1, 2],
        symbol_id=[0, 0],
        kind=[FlowKind.NEW] * 2,
        order_id=[1, 2],
        side=[1, 1],
        price_ticks=[10, 11],
        qty=[5, 5],
    )
    l1 = l1_table(ts_ns=[1], symbol_id=[0], bid_px_ticks=[10], bid_qty=[5], ask_px_ticks=[0], ask_qty=[0])
    with pytest.raises(ConfigError, match="l1 has 1 rows, flow has 2"):
        write_lobster(
            tmp_path / "m_message_1.csv",
            flow,
            tick_size=100,
            orderbook_path=tmp_path / "m_orderbook_1.csv",
            l1=l1,
        )
