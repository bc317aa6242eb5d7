"""FIX 4.4 application messages: order entry parsers and venue report builders."""

from __future__ import annotations

import pytest
import simplefix

from hftsim.core.enums import OrderType, Side, TimeInForce
from hftsim.core.errors import FixParseError
from hftsim.net.fix import (
    ExecType,
    ExecutionReport,
    FixEncoder,
    FixErrorReason,
    FixFramer,
    OrderCancelReject,
    OrdStatus,
    PriceFormat,
    decode_message,
    encode_execution_report,
    encode_order_cancel_reject,
    parse_execution_report,
    parse_new_order_single,
    parse_order_cancel_replace_request,
    parse_order_cancel_request,
)

from .fix_samples import TS_NS, TS_TEXT, bars, frame, header

ENC = FixEncoder("VENUE", "CLIENT")
TRANSACT_NS = TS_NS - 456_789  # what survives millisecond formatting

FILL = ExecutionReport(
    order_id="O1",
    cl_ord_id="C1",
    exec_id="E1",
    exec_type=ExecType.TRADE,
    ord_status=OrdStatus.PARTIALLY_FILLED,
    symbol="AAPL",
    side=Side.BUY,
    order_qty=100,
    price="123.45",
    last_qty=40,
    last_px="123.45",
    leaves_qty=60,
    cum_qty=40,
    avg_px="123.45",
    transact_time_ns=TRANSACT_NS,
)


def simplefix_message(pairs) -> bytes:
    """Encode with simplefix (independent of our encoder), header first."""
    message = simplefix.FixMessage()
    for tag, value in pairs:
        message.append_pair(tag, value)
    return message.encode()


def client_header(msg_type: str, seq: int = 7):
    return [(8, "FIX.4.4"), (35, msg_type), (49, "CLIENT"), (56, "VENUE"), (34, seq), (52, TS_TEXT)]


NOS = [
    (11, "ORD-1"),
    (55, "AAPL"),
    (54, "2"),
    (60, TS_TEXT),
    (38, "300"),
    (40, "2"),
    (44, "101.25"),
    (59, "3"),
]
CANCEL = [(41, "ORD-1"), (11, "ORD-2"), (37, "77"), (55, "AAPL"), (54, "1"), (60, TS_TEXT), (38, "300")]
REPLACE = [
    (41, "ORD-1"),
    (11, "ORD-3"),
    (55, "AAPL"),
    (54, "1"),
    (60, TS_TEXT),
    (38, "200"),
    (40, "2"),
    (44, "99.5"),
]


def parse_wire(data: bytes):
    (msg,) = FixFramer().feed(data)
    assert not isinstance(msg, FixParseError), msg
    return msg


def test_execution_report_golden_bytes():
    # Hand-built: every FIX 4.4 ExecutionReport field for a partial fill, 9 and 10 summed outside the codec.
    expected = (
        b"8=FIX.4.4|9=176|35=8|49=VENUE|56=CLIENT|34=8|52=20240102-13:14:15.123|37=O1|11=C1|17=E1|150=F|"
        b"39=1|55=AAPL|54=1|38=100|44=123.45|32=40|31=123.45|151=60|14=40|6=123.45|"
        b"60=20240102-13:14:15.123|10=191|"
    )
    assert bars(encode_execution_report(ENC, 8, TS_NS, FILL)) == expected


def test_order_cancel_reject_golden_bytes():
    reject = OrderCancelReject(
        order_id="NONE",
        cl_ord_id="C2",
        orig_cl_ord_id="C1",
        ord_status=OrdStatus.REJECTED,
        cxl_rej_response_to=1,
        cxl_rej_reason=1,
        text="unknown order",
    )
    expected = (
        b"8=FIX.4.4|9=108|35=9|49=VENUE|56=CLIENT|34=9|52=20240102-13:14:15.123|37=NONE|11=C2|41=C1|39=8|"
        b"434=1|102=1|58=unknown order|10=049|"
    )
    assert bars(encode_order_cancel_reject(ENC, 9, TS_NS, reject)) == expected


@pytest.mark.parametrize(
    "report",
    [
        FILL,
        ExecutionReport(
            order_id="O2",
            cl_ord_id="C9",
            exec_id="E2",
            exec_type=ExecType.NEW,
            ord_status=OrdStatus.NEW,
            symbol="MSFT",
            side=Side.SELL,
            order_qty=5,
            price="1.0001",
            leaves_qty=5,
            cum_qty=0,
            avg_px="0",
            transact_time_ns=TRANSACT_NS,
        ),
        ExecutionReport(
            order_id="NONE",
            cl_ord_id="C9",
            exec_id="E3",
            exec_type=ExecType.REJECTED,
            ord_status=OrdStatus.REJECTED,
            symbol="MSFT",
            side=Side.SELL,
            order_qty=5,
            leaves_qty=0,
            cum_qty=0,
            avg_px="0",
            transact_time_ns=TRANSACT_NS,
            ord_rej_reason=1,
            text="unknown symbol",
        ),
        ExecutionReport(
            order_id="O2",
            cl_ord_id="C10",
            orig_cl_ord_id="C9",
            exec_id="E4",
            exec_type=ExecType.CANCELED,
            ord_status=OrdStatus.CANCELED,
            symbol="MSFT",
            side=Side.SELL,
            order_qty=5,
            leaves_qty=0,
            cum_qty=0,
            avg_px="0",
            transact_time_ns=TRANSACT_NS,
        ),
    ],
)
def test_execution_report_round_trips_and_simplefix_agrees(report):
    data = encode_execution_report(ENC, 3, TS_NS, report)
    assert parse_execution_report(parse_wire(data)) == report
    parser = simplefix.FixParser()
    parser.append_buffer(data)
    ref = parser.get_message()
    assert ref.encode() == data  # simplefix recomputes BodyLength and CheckSum identically
    for tag in (37, 17, 150, 39, 55, 54, 151, 14, 6):  # FIX44.xml required fields of 35=8
        assert ref.get(tag) is not None, tag


def test_execution_report_fields_by_exec_type():
    new = parse_wire(
        encode_execution_report(
            ENC,
            1,
            TS_NS,
            ExecutionReport(
                order_id="O",
                cl_ord_id="C",
                exec_id="E",
                exec_type=ExecType.NEW,
                ord_status=OrdStatus.NEW,
                symbol="X",
                side=Side.BUY,
                order_qty=1,
                leaves_qty=1,
                cum_qty=0,
                avg_px="0",
                transact_time_ns=0,
            ),
        )
    )
    assert 32 not in new and 31 not in new and 103 not in new and 41 not in new
    fill = parse_wire(encode_execution_report(ENC, 1, TS_NS, FILL))
    assert fill.get(32) == b"40" and fill.get(31) == b"123.45"


def test_execution_report_text_with_soh_raises():
    bad = ExecutionReport(**{**{f: getattr(FILL, f) for f in FILL.__struct_fields__}, "text": "a\x01b"})
    with pytest.raises(ValueError):
        encode_execution_report(ENC, 1, TS_NS, bad)


def test_parse_new_order_single_from_simplefix():
    order = parse_new_order_single(parse_wire(simplefix_message(client_header("D") + NOS)))
    assert order.cl_ord_id == "ORD-1" and order.symbol == "AAPL" and order.side is Side.SELL
    assert order.order_qty == 300 and order.order_type is OrderType.LIMIT and order.price == "101.25"
    assert order.tif is TimeInForce.IOC and order.transact_time_ns == TRANSACT_NS and order.msg_seq_num == 7
    assert not order.is_post_only and order.account is None


def test_parse_new_order_single_market_order_without_price_and_day_default():
    pairs = [p for p in NOS if p[0] not in (44, 59, 40)] + [(40, "1")]
    order = parse_new_order_single(parse_wire(simplefix_message(client_header("D") + pairs)))
    assert order.order_type is OrderType.MARKET and order.price is None and order.tif is TimeInForce.DAY


def test_parse_new_order_single_post_only_exec_inst():
    order = parse_new_order_single(parse_wire(simplefix_message(client_header("D") + NOS + [(18, "6")])))
    assert order.is_post_only


@pytest.mark.parametrize(
    "parse, pairs, msg_type, required",
    [
        (parse_new_order_single, NOS, "D", [11, 55, 54, 60, 38, 40, 44]),
        (parse_order_cancel_request, CANCEL, "F", [41, 11, 55, 54, 60, 38]),
        (parse_order_cancel_replace_request, REPLACE, "G", [41, 11, 55, 54, 60, 38, 40, 44]),
    ],
)
def test_parser_missing_required_tag_names_it(parse, pairs, msg_type, required):
    for tag in required:
        data = simplefix_message(client_header(msg_type) + [p for p in pairs if p[0] != tag])
        with pytest.raises(FixParseError) as e:
            parse(parse_wire(data))
        assert e.value.tag == tag, (tag, str(e.value))
        assert e.value.reason == FixErrorReason.MISSING_TAG and e.value.session_reject_reason == 1
        assert e.value.msg_seq_num == 7 and e.value.msg_type == msg_type and str(tag) in str(e.value)


@pytest.mark.parametrize(
    "tag, value, reason",
    [
        (54, "5", FixErrorReason.UNSUPPORTED_VALUE),
        (38, "0", FixErrorReason.BAD_VALUE),
        (38, "1.5", FixErrorReason.BAD_VALUE),
        (38, "-3", FixErrorReason.BAD_VALUE),
        (38, "9" * 40, FixErrorReason.BAD_VALUE),
        (40, "3", FixErrorReason.UNSUPPORTED_VALUE),
        (44, "abc", FixErrorReason.BAD_VALUE),
        (44, "-1", FixErrorReason.BAD_VALUE),
        (44, "NaN", FixErrorReason.BAD_VALUE),
        (59, "6", FixErrorReason.UNSUPPORTED_VALUE),
        (60, "yesterday", FixErrorReason.BAD_VALUE),
    ],
)
def test_parse_new_order_single_bad_value_names_tag(tag, value, reason):
    pairs = [(t, value if t == tag else v) for t, v in NOS]
    with pytest.raises(FixParseError) as e:
        parse_new_order_single(parse_wire(simplefix_message(client_header("D") + pairs)))
    assert (e.value.tag, e.value.reason) == (tag, reason)


def test_parse_cancel_and_replace_from_simplefix():
    cancel = parse_order_cancel_request(parse_wire(simplefix_message(client_header("F") + CANCEL)))
    assert (cancel.orig_cl_ord_id, cancel.cl_ord_id, cancel.order_id, cancel.order_qty) == (
        "ORD-1",
        "ORD-2",
        "77",
        300,
    )
    replace = parse_order_cancel_replace_request(parse_wire(simplefix_message(client_header("G") + REPLACE)))
    assert (replace.orig_cl_ord_id, replace.cl_ord_id, replace.order_qty, replace.price) == (
        "ORD-1",
        "ORD-3",
        200,
        "99.5",
    )
    assert replace.order_id is None and replace.side is Side.BUY


def test_parser_wrong_msg_type_refused():
    with pytest.raises(FixParseError):
        parse_order_cancel_request(parse_wire(simplefix_message(client_header("D") + NOS)))


def test_parse_from_hand_framed_bytes():
    data = frame(header("D", 3) + f"11=A|55=X|54=1|60={TS_TEXT}|38=1|40=1|")
    assert parse_new_order_single(decode_message(data)).order_type is OrderType.MARKET


@pytest.mark.parametrize(
    "tick, ticks, text",
    [
        ("0.01", 12345, "123.45"),
        ("0.01", 5, "0.05"),
        ("0.0001", 1234500, "123.4500"),
        ("1", 42, "42"),
        ("0.05", 3, "0.15"),
        ("0.01", -7, "-0.07"),
    ],
)
def test_price_format_ticks_to_text_and_back(tick, ticks, text):
    fmt = PriceFormat(tick)
    assert fmt.format(ticks) == text
    assert fmt.to_ticks(text) == ticks


def test_price_format_off_grid_or_garbage_gives_none():
    fmt = PriceFormat("0.05")
    assert fmt.to_ticks("0.07") is None and fmt.to_ticks("abc") is None
