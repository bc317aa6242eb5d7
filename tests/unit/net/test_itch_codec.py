"""ITCH 5.0 codec: golden bytes from the spec layout, round trips, itchfeed agreement, errors."""

from __future__ import annotations

import msgspec
import pytest
from hypothesis import given
from hypothesis import strategies as st
from itch.messages import messages as itchfeed_classes

from hftsim.core.errors import ProtocolError
from hftsim.net.itch import (
    MAX_TIMESTAMP_NS,
    MESSAGE_LENGTHS,
    AddOrder,
    AddOrderMpid,
    OrderCancel,
    OrderDelete,
    OrderExecuted,
    OrderExecutedWithPrice,
    OrderReplace,
    StockDirectory,
    SystemEvent,
    TradeNonCross,
    decode,
    encode,
    encode_add_order,
    encode_order_delete,
    pack_into,
)

TS = 34_200_000_000_123  # 09:30:00.000000123 = 0x1F1ACED9F07B (34.2e12 = 0x1F1ACED9F000, 123 = 0x7B)
H = dict(stock_locate=1, tracking_number=2, timestamp_ns=TS)


def hx(*parts: str) -> bytes:
    return bytes.fromhex("".join(parts).replace(" ", ""))


# Common header after the type byte: locate 0x0001, tracking 0x0002, 6-byte timestamp.
HDR = "0001 0002 1f1aced9f07b"
AAPL = "4141504c20202020"  # "AAPL" + 4 spaces
# Each golden follows the offsets of PROTOCOLS.md 1.2 / the ITCH 5.0 spec field by field.
CASES = [
    (SystemEvent(**H, event_code="Q"), hx("53", HDR, "51")),  # 'S', Event Code 'Q'
    (
        StockDirectory(
            **H,
            stock="AAPL",
            market_category="Q",
            financial_status_indicator="N",
            round_lot_size=100,
            round_lots_only="N",
            issue_classification="C",
            issue_sub_type="Z ",
            authenticity="P",
            short_sale_threshold_indicator="N",
            ipo_flag="N",
            luld_reference_price_tier="1",
            etp_flag="N",
            etp_leverage_factor=0,
            inverse_indicator="N",
        ),
        hx(
            "52",
            HDR,
            AAPL,
            "51",
            "4e",
            "00000064",
            "4e",
            "43",
            "5a20",
            "50",
            "4e",
            "4e",
            "31",
            "4e",
            "00000000",
            "4e",
        ),
    ),
    (
        AddOrder(**H, order_reference_number=42, side="B", shares=100, stock="AAPL", price_e4=1234500),
        hx("41", HDR, "000000000000002a", "42", "00000064", AAPL, "0012d644"),
    ),  # 123.4500 = 1234500 = 0x12D644
    (
        AddOrderMpid(
            **H,
            order_reference_number=42,
            side="S",
            shares=100,
            stock="AAPL",
            price_e4=1234500,
            attribution="ABCD",
        ),
        hx("46", HDR, "000000000000002a", "53", "00000064", AAPL, "0012d644", "41424344"),
    ),
    (
        OrderExecuted(**H, order_reference_number=42, executed_shares=100, match_number=987654321),
        hx("45", HDR, "000000000000002a", "00000064", "000000003ade68b1"),
    ),  # 987654321 = 0x3ADE68B1
    (
        OrderExecutedWithPrice(
            **H,
            order_reference_number=42,
            executed_shares=100,
            match_number=987654321,
            printable="Y",
            execution_price_e4=1234600,
        ),
        hx("43", HDR, "000000000000002a", "00000064", "000000003ade68b1", "59", "0012d6a8"),
    ),
    (
        OrderCancel(**H, order_reference_number=42, cancelled_shares=100),
        hx("58", HDR, "000000000000002a", "00000064"),
    ),
    (OrderDelete(**H, order_reference_number=42), hx("44", HDR, "000000000000002a")),
    (
        OrderReplace(
            **H,
            original_order_reference_number=42,
            new_order_reference_number=43,
            shares=100,
            price_e4=1234500,
        ),
        hx("55", HDR, "000000000000002a", "000000000000002b", "00000064", "0012d644"),
    ),
    (
        TradeNonCross(
            **H,
            order_reference_number=0,
            side="B",
            shares=100,
            stock="AAPL",
            price_e4=1234500,
            match_number=987654321,
        ),
        hx("50", HDR, "0000000000000000", "42", "00000064", AAPL, "0012d644", "000000003ade68b1"),
    ),
]
IDS = [type(r).__name__ for r, _ in CASES]

# itchfeed attribute names for our fields (price fields hold the raw Price(4) integer there too)
ITCHFEED_NAMES = {
    "side": "buy_sell_indicator",
    "price_e4": "price",
    "execution_price_e4": "execution_price",
    "original_order_reference_number": "order_reference_number",
    "luld_reference_price_tier": "luld_ref",
    "timestamp_ns": "timestamp",
}


@pytest.mark.parametrize("record, expected", CASES, ids=IDS)
def test_encode_matches_golden_bytes(record, expected):
    assert encode(record) == expected
    assert len(expected) == MESSAGE_LENGTHS[expected[:1]]


@pytest.mark.parametrize("record, expected", CASES, ids=IDS)
def test_decode_golden_bytes_gives_record(record, expected):
    assert decode(expected) == record
    assert decode(memoryview(bytearray(expected))) == record


def test_message_lengths_match_spec_table():
    assert {k.decode(): v for k, v in MESSAGE_LENGTHS.items()} == {
        "S": 12,
        "R": 39,
        "A": 36,
        "F": 40,
        "E": 31,
        "C": 36,
        "X": 23,
        "D": 19,
        "U": 35,
        "P": 44,
    }


@pytest.mark.parametrize("record, _", CASES, ids=IDS)
def test_itchfeed_decodes_our_bytes_with_identical_fields(record, _):
    data = encode(record)
    theirs = itchfeed_classes[data[:1]](data)
    for field in record.__struct_fields__:
        ours = getattr(record, field)
        value = getattr(theirs, ITCHFEED_NAMES.get(field, field))
        if isinstance(
            value, bytes
        ):  # itchfeed keeps Alpha fields padded; ours drop the padding of Stock/MPID
            value, ours = value.decode("ascii").rstrip(), ours.rstrip()
        assert value == ours, (field, value, ours)
    assert theirs.to_bytes() == data  # itchfeed re-encodes the same bytes


def test_itchfeed_stream_parser_reads_length_prefixed_messages():
    from itch.parser import MessageParser

    stream = b"".join(len(m).to_bytes(2, "big") + m for m in (encode(r) for r, _ in CASES))
    parsed = list(MessageParser().parse_stream(stream))
    assert [p.message_type for p in parsed] == [e[:1] for _, e in CASES]


def test_pack_into_writes_at_offset_and_returns_length():
    record, expected = CASES[2]
    buf = bytearray(b"\xee" * 64)
    assert pack_into(buf, 10, record) == 36
    assert bytes(buf[10:46]) == expected and buf[:10] == b"\xee" * 10 and buf[46:] == b"\xee" * 18
    view = memoryview(bytearray(40))
    assert pack_into(view, 4, record) == 36 and bytes(view[4:]) == expected


def test_pack_into_too_small_buffer_raises_value_error():
    with pytest.raises(ValueError):
        pack_into(bytearray(30), 0, CASES[2][0])


@pytest.mark.parametrize(
    "record",
    [
        AddOrder(**H, order_reference_number=1, side="B", shares=1, stock="TOOLONGSYM", price_e4=1),
        AddOrder(**H, order_reference_number=1, side="BS", shares=1, stock="A", price_e4=1),
        AddOrder(**H, order_reference_number=1, side="B", shares=1 << 32, stock="A", price_e4=1),
        AddOrder(**H, order_reference_number=-1, side="B", shares=1, stock="A", price_e4=1),
        AddOrder(
            stock_locate=1,
            timestamp_ns=MAX_TIMESTAMP_NS + 1,
            order_reference_number=1,
            side="B",
            shares=1,
            stock="A",
            price_e4=1,
        ),
        SystemEvent(stock_locate=1 << 16, timestamp_ns=0, event_code="O"),
    ],
)
def test_encode_out_of_range_field_raises_value_error(record):
    with pytest.raises(ValueError):
        encode(record)


def test_encode_max_timestamp_fits_six_bytes():
    record = SystemEvent(stock_locate=0, timestamp_ns=MAX_TIMESTAMP_NS, event_code="C")
    assert decode(encode(record)).timestamp_ns == MAX_TIMESTAMP_NS


def test_encode_non_record_raises_type_error():
    with pytest.raises(TypeError):
        encode("A")


@pytest.mark.parametrize(
    "data, text",
    [
        (b"", "empty"),
        (b"H" + bytes(24), "unsupported"),
        (b"Z", "unsupported"),
        (CASES[2][1][:-1], "must be 36 bytes, got 35"),
        (CASES[2][1] + b"\x00", "must be 36 bytes, got 37"),
        (b"A", "must be 36 bytes, got 1"),
    ],
)
def test_decode_bad_message_raises_protocol_error(data, text):
    with pytest.raises(ProtocolError, match=text):
        decode(data)


# Field widths from the spec: unsigned 8, 4 and 2 bytes. A signed or narrower format fails here.
UNSIGNED_MAX = {
    "order_reference_number": 2**64 - 1,
    "new_order_reference_number": 2**64 - 1,
    "original_order_reference_number": 2**64 - 1,
    "match_number": 2**64 - 1,
    "shares": 2**32 - 1,
    "executed_shares": 2**32 - 1,
    "cancelled_shares": 2**32 - 1,
    "round_lot_size": 2**32 - 1,
    "etp_leverage_factor": 2**32 - 1,
    "price_e4": 2**32 - 1,
    "execution_price_e4": 2**32 - 1,
    "stock_locate": 2**16 - 1,
    "tracking_number": 2**16 - 1,
}


@pytest.mark.parametrize("record, _", CASES, ids=IDS)
def test_unsigned_fields_round_trip_at_their_maximum_and_refuse_one_more(record, _):
    ints = {f: UNSIGNED_MAX[f] for f in record.__struct_fields__ if f in UNSIGNED_MAX}
    biggest = msgspec.structs.replace(record, **ints)
    data = encode(biggest)
    assert decode(data) == biggest
    theirs = itchfeed_classes[data[:1]](data)
    assert theirs.stock_locate == 2**16 - 1 and theirs.tracking_number == 2**16 - 1
    for field, value in ints.items():
        with pytest.raises(ValueError):
            encode(msgspec.structs.replace(record, **{field: value + 1}))


def test_decode_timestamp_past_end_of_day_raises_protocol_error():
    data = bytearray(CASES[0][1])
    data[5:11] = b"\xff" * 6
    with pytest.raises(ProtocolError, match="past the end of the day"):
        decode(bytes(data))


def test_max_price_is_the_spec_maximum_200000():
    from hftsim.net.itch import MAX_PRICE_E4

    assert MAX_PRICE_E4 == 0x77359400 == 200_000 * 10_000


@given(
    st.integers(min_value=0, max_value=2**16),
    st.integers(min_value=-1, max_value=MAX_TIMESTAMP_NS + 1),
    st.integers(min_value=-1, max_value=2**64),
    st.sampled_from([b"B", b"S"]),
    st.integers(min_value=-1, max_value=2**32),
    st.sampled_from([b"SIM     ", b"ABCDEFGH"]),
    st.integers(min_value=-1, max_value=2**32),
)
def test_hot_path_encoders_equal_the_record_encoder(locate, ts, ref, side, shares, stock8, price):
    def outcome(fn):
        try:
            return fn()
        except ValueError as e:
            return type(e), str(e)

    record = AddOrder(
        stock_locate=locate,
        timestamp_ns=ts,
        order_reference_number=ref,
        side=side.decode(),
        shares=shares,
        stock=stock8.decode().rstrip(),
        price_e4=price,
    )
    assert outcome(lambda: encode_add_order(locate, ts, ref, side, shares, stock8, price)) == outcome(
        lambda: encode(record)
    )
    delete = OrderDelete(stock_locate=locate, timestamp_ns=ts, order_reference_number=ref)
    assert outcome(lambda: encode_order_delete(locate, ts, ref)) == outcome(lambda: encode(delete))
