"""ITCH files: books rebuilt into L1 and trade tables, the data itch command, truncated and corrupt files."""

from __future__ import annotations

import gzip

import pytest

from hftsim.core.errors import ProtocolError
from hftsim.data.itch_file import convert_itch_file
from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, read_table
from hftsim.net.itch import AddOrder, OrderDelete, OrderExecuted, StockDirectory, SystemEvent, encode

H = dict(tracking_number=0)


def _file(tmp_path, records, name="day.itch", raw_tail=b""):
    blob = b"".join(len(m).to_bytes(2, "big") + m for m in map(encode, records)) + raw_tail
    path = tmp_path / name
    path.write_bytes(gzip.compress(blob) if name.endswith(".gz") else blob)
    return path


RECORDS = [
    SystemEvent(stock_locate=0, timestamp_ns=1, event_code="O"),
    StockDirectory(stock_locate=1, timestamp_ns=2, stock="AAPL"),
    StockDirectory(stock_locate=2, timestamp_ns=3, stock="MSFT"),
    AddOrder(
        stock_locate=1,
        timestamp_ns=10,
        order_reference_number=1,
        side="B",
        shares=100,
        stock="AAPL",
        price_e4=1_000_000,
    ),
    AddOrder(
        stock_locate=1,
        timestamp_ns=11,
        order_reference_number=2,
        side="S",
        shares=50,
        stock="AAPL",
        price_e4=1_000_100,
    ),
    AddOrder(
        stock_locate=2,
        timestamp_ns=12,
        order_reference_number=3,
        side="S",
        shares=70,
        stock="MSFT",
        price_e4=2_000_000,
    ),
    OrderExecuted(
        stock_locate=1, timestamp_ns=20, order_reference_number=2, executed_shares=20, match_number=9
    ),
    OrderDelete(stock_locate=1, timestamp_ns=30, order_reference_number=1),
]


@pytest.mark.parametrize("name", ["day.itch", "day.itch.gz"])
def test_itch_file_writes_l1_and_trades(tmp_path, name):
    summary = convert_itch_file(_file(tmp_path, RECORDS, name), tmp_path / "out")
    assert summary.messages == len(RECORDS) and summary.symbols == {1: "AAPL", 2: "MSFT"}
    l1 = read_table(tmp_path / "out" / "l1.parquet", L1_SCHEMA).to_pydict()
    aapl = [i for i, s in enumerate(l1["symbol_id"]) if s == 1]
    assert [(l1["bid_qty"][i], l1["ask_qty"][i]) for i in aapl] == [(100, 0), (100, 50), (100, 30), (0, 30)]
    trades = read_table(tmp_path / "out" / "trades.parquet", TRADE_SCHEMA).to_pydict()
    assert trades == {
        "ts_ns": [20],
        "symbol_id": [1],
        "price_ticks": [1_000_100],
        "qty": [20],
        "aggressor_side": [1],
        "exec_id": [9],
    }


def test_itch_file_symbol_filter_keeps_only_named(tmp_path):
    summary = convert_itch_file(_file(tmp_path, RECORDS), tmp_path / "o", symbols=["MSFT"])
    l1 = read_table(tmp_path / "o" / "l1.parquet", L1_SCHEMA).to_pydict()
    assert summary.symbols == {2: "MSFT"} and set(l1["symbol_id"]) == {2} and summary.trade_rows == 0


def test_itch_file_truncated_names_byte_offset(tmp_path):
    path = _file(tmp_path, RECORDS[:3], raw_tail=b"\x00\x24AB")
    offset = path.stat().st_size - 4
    with pytest.raises(ProtocolError, match=f"offset {offset}"):
        convert_itch_file(path, tmp_path / "o")
    assert not (tmp_path / "o" / "l1.parquet").exists()


def test_itch_file_unknown_reference_names_byte_offset(tmp_path):
    bad = OrderDelete(stock_locate=1, timestamp_ns=5, order_reference_number=77)
    path = _file(tmp_path, [*RECORDS[:2], bad])
    offset = sum(2 + len(encode(r)) for r in RECORDS[:2])
    with pytest.raises(ProtocolError, match=f"byte offset {offset}"):
        convert_itch_file(path, None)


def test_data_itch_command_runs_and_reports(tmp_path, capsys):
    import argparse

    from hftsim.net.feed.cli import add_parser

    parser = argparse.ArgumentParser()
    add_parser(parser.add_subparsers(dest="command"))
    path = _file(tmp_path, RECORDS)
    args = parser.parse_args(["data", "itch", str(path), "--out", str(tmp_path / "o"), "--symbols", "AAPL"])
    assert args.func(args) == 0
    assert "1 trades" in capsys.readouterr().out
    bad = parser.parse_args(["data", "itch", str(_file(tmp_path, RECORDS[:2], "t.itch", b"\x00"))])
    assert bad.func(bad) == 1 and "offset" in capsys.readouterr().err


@pytest.mark.slow
def test_data_itch_replay_reaches_a_handler(tmp_path):
    import asyncio

    from hftsim.net.feed import FeedHandler
    from hftsim.net.feed.cli import replay_itch_file

    async def main():
        handler = FeedHandler(b"REPLAY", ("127.0.0.1", 0), ("127.0.0.1", 1))
        await handler.start()
        sent = await replay_itch_file(_file(tmp_path, RECORDS), [handler.feed_address])
        deadline = asyncio.get_running_loop().time() + 5
        while not handler.is_end_of_session and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.005)
        await handler.stop()
        return sent, handler

    sent, handler = asyncio.run(main())
    assert sent == len(RECORDS) and handler.next_seq == sent + 1
    assert handler.l3(1) == [(2, -1, 1_000_100, 30)] and handler.l3(2) == [(3, -1, 2_000_000, 70)]
