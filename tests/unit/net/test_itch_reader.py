"""ITCH file reader: streaming over chunk boundaries, unsupported types, truncation errors."""

from __future__ import annotations

import gzip
import io

import pytest

from hftsim.core.errors import ProtocolError
from hftsim.net.itch import (
    AddOrder,
    OrderDelete,
    SystemEvent,
    encode,
    iter_itch_file,
    iter_raw_messages,
    open_itch_file,
)

RECORDS = [
    SystemEvent(stock_locate=0, timestamp_ns=1, event_code="O"),
    AddOrder(
        stock_locate=1, timestamp_ns=2, order_reference_number=7, side="B", shares=10, stock="XYZ", price_e4=5
    ),
    OrderDelete(stock_locate=1, timestamp_ns=3, order_reference_number=7),
]
TRADING_ACTION = b"H" + bytes(24)  # a real ITCH type this codec does not decode


def file_bytes(messages) -> bytes:
    return b"".join(len(m).to_bytes(2, "big") + m for m in messages)


@pytest.mark.parametrize("chunk_size", [2, 3, 7, 1 << 20])
def test_reader_yields_records_and_offsets_across_chunks(chunk_size):
    messages = [encode(r) for r in RECORDS]
    data = file_bytes([messages[0], TRADING_ACTION, messages[1], messages[2]])
    out = list(iter_itch_file(io.BytesIO(data), chunk_size=chunk_size))
    assert [r for _, r in out] == RECORDS
    assert [o for o, _ in out] == [0, 14 + 27, 14 + 27 + 38]


def test_reader_raw_messages_include_unsupported_types():
    data = file_bytes([TRADING_ACTION, encode(RECORDS[0])])
    assert [m[:1] for _, m in iter_raw_messages(io.BytesIO(data))] == [b"H", b"S"]


def test_reader_unsupported_type_raises_when_not_skipping():
    data = file_bytes([encode(RECORDS[0]), TRADING_ACTION])
    with pytest.raises(ProtocolError, match="offset 14"):
        list(iter_itch_file(io.BytesIO(data), skip_unsupported=False))


def test_reader_truncated_message_names_offset():
    data = file_bytes([encode(r) for r in RECORDS])[:-5]
    with pytest.raises(ProtocolError, match=r"offset 52 declares 19 bytes, only 14 present"):
        list(iter_itch_file(io.BytesIO(data), chunk_size=5))


def test_reader_truncated_length_prefix_names_offset():
    data = file_bytes([encode(RECORDS[0])]) + b"\x00"
    with pytest.raises(ProtocolError, match="offset 14"):
        list(iter_raw_messages(io.BytesIO(data)))


def test_reader_wrong_length_supported_message_names_offset():
    data = file_bytes([encode(RECORDS[0]), encode(RECORDS[1])[:-1]])
    with pytest.raises(ProtocolError, match="byte offset 14"):
        list(iter_itch_file(io.BytesIO(data)))


def test_open_itch_file_reads_gzip_and_plain(tmp_path):
    data = file_bytes([encode(r) for r in RECORDS])
    (tmp_path / "a.NASDAQ_ITCH50").write_bytes(data)
    (tmp_path / "a.NASDAQ_ITCH50.gz").write_bytes(gzip.compress(data))
    for name in ("a.NASDAQ_ITCH50", "a.NASDAQ_ITCH50.gz"):
        with open_itch_file(tmp_path / name) as f:
            assert [r for _, r in iter_itch_file(f)] == RECORDS


def test_reader_empty_file_yields_nothing():
    assert list(iter_itch_file(io.BytesIO(b""))) == []
