"""The compiled FIX happy path (hftsim.net.fix._fastfix) against the Python code it accelerates.

The Python framer, parsers and encoders are the specification. Random valid traffic, mutated bytes
and random field values go through both; every message, every error (reason, tag, offset, text) and
every encoded byte must be the same. Cases where the compiled code declines (returns None or stops)
are fine only because the Python code then runs: the tests also check the compiled code does accept
the ordinary traffic, so a happy path that always declined would fail them.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hftsim.core.enums import Side
from hftsim.core.errors import FixParseError
from hftsim.net.fix import _fastfix
from hftsim.net.fix._framer import FixFramer, FixMessage
from hftsim.net.fix._time import _parse_utc_python, parse_utc_timestamp
from hftsim.net.fix.application import (
    REPORT_VALUES,
    ExecutionReport,
    _encode_execution_report,
    _parse_new_order_single,
    _parse_order_cancel_request,
    cancel_values,
    encode_execution_report,
    new_order_values,
    parse_new_order_single,
    parse_order_cancel_request,
    report_from_values,
)
from hftsim.net.fix.codec import FixEncoder
from hftsim.net.fix.session import SessionState

pytestmark = pytest.mark.timeout(120)

CLIENT = FixEncoder("CLIENT", "VENUE")
VENUE = FixEncoder("VENUE", "CLIENT")
TS_NS = 1_704_201_255_123_000_000
MAX_BODY = 2048


def _nos(k: int, extra: list[tuple[int, object]] | None = None) -> list[tuple[int, object]]:
    return [
        (11, f"C{k}"),
        (55, "AAPL"),
        (54, 1 + k % 2),
        (60, "20240102-13:14:15.123"),
        (38, 100 + k),
        (40, 2),
        (44, f"{10 + k % 7}.{k % 100:02d}"),
        (59, "0"),
        *(extra or []),
    ]


def _stream(n: int) -> bytes:
    parts = []
    for k in range(n):
        if k % 3 == 2:
            fields = [
                (41, f"C{k - 1}"),
                (11, f"X{k}"),
                (55, "AAPL"),
                (54, 1),
                (60, "20240102-13:14:15.5"),
                (38, 5),
            ]
            parts.append(CLIENT.encode("F", k + 1, TS_NS + k, fields))
        else:
            parts.append(CLIENT.encode("D", k + 1, TS_NS + k, _nos(k)))
    return b"".join(parts)


def _run(data: bytes, cuts: list[int], compiled: bool) -> tuple[list, int]:
    framer = FixFramer(max_body_length=MAX_BODY, compiled=compiled)
    out = []
    start = 0
    for point in sorted({min(c, len(data)) for c in cuts}) + [len(data)]:
        out += framer.feed(data[start:point])
        start = point
    return out, framer.buffered


def _key(item) -> tuple:
    if isinstance(item, FixMessage):
        return ("msg", item.msg_type, item.msg_seq_num, item.raw, item._fields)
    assert isinstance(item, FixParseError)
    return ("err", item.reason, item.tag, item.msg_seq_num, item.msg_type, item.offset, str(item))


def _same(data: bytes, cuts: list[int]) -> list:
    fast, fast_left = _run(data, cuts, compiled=True)
    slow, slow_left = _run(data, cuts, compiled=False)
    assert [_key(i) for i in fast] == [_key(i) for i in slow]
    assert fast_left == slow_left
    return fast


cuts = st.lists(st.integers(min_value=0, max_value=6000), max_size=10)


def test_the_compiled_framer_takes_ordinary_traffic():
    data = _stream(50)
    messages, pos = _fastfix.frame(bytearray(data), 0, len(data), b"FIX.4.4", MAX_BODY, FixMessage)
    assert pos == len(data)
    assert len(messages) == 50
    assert [m.msg_seq_num for m in messages] == list(range(1, 51))
    assert messages[0].get(44) == b"10.00" and messages[0].get(11) == b"C0"


@given(cuts)
def test_framer_equal_on_valid_streams_split_anywhere(cut_points):
    out = _same(_stream(12), cut_points)
    assert len(out) == 12 and all(isinstance(m, FixMessage) for m in out)


@settings(max_examples=300)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=1500), st.binary(min_size=0, max_size=4)), max_size=6
    ),
    cuts,
)
def test_framer_equal_on_corrupted_streams(edits, cut_points):
    data = bytearray(_stream(8))
    for at, replacement in edits:
        at = min(at, len(data))
        data[at : at + len(replacement)] = replacement
    _same(bytes(data), cut_points)


@pytest.mark.parametrize(
    "raw",
    [
        CLIENT.encode("D", 1, TS_NS, _nos(1, [(58, "a=b")])),  # '=' inside a value
        CLIENT.encode("D", 1, TS_NS, _nos(1, [(11, "dup")])),  # duplicate tag
        CLIENT.encode("D", 1, TS_NS, _nos(1, [(100, "X")])),  # tag 100 after SOH ("\x0110" prefix)
        CLIENT.encode("0", 7, TS_NS),  # a body with the header only
        b"8=FIX.4.2\x019=5\x0135=0\x0110=000\x01",  # another BeginString
        b"garbage" + CLIENT.encode("D", 2, TS_NS, _nos(2)),
        CLIENT.encode("D", 1, TS_NS, _nos(1)).replace(b"\x0134=1\x01", b"\x0134=01\x01"),
    ],
)
def test_framer_equal_on_edge_cases(raw):
    _same(raw + CLIENT.encode("D", 9, TS_NS, _nos(9)), [len(raw) // 2])


timestamps = st.one_of(
    st.from_regex(r"\A[0-9]{8}-[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{3}|\.[0-9]{6}|\.[0-9]{9})?\Z"),
    st.binary(max_size=30).map(lambda b: b.decode("latin-1")),
)


@settings(max_examples=500)
@given(timestamps)
def test_timestamp_parse_equal(text):
    raw = text.encode("latin-1")
    try:
        expected = _parse_utc_python(raw)
    except ValueError as e:
        with pytest.raises(ValueError, match=str(e)[:20].replace("(", r"\(").replace("[", r"\[")):
            parse_utc_timestamp(raw)
        assert _fastfix.parse_utc(raw) is None
    else:
        assert parse_utc_timestamp(raw) == expected


@pytest.mark.parametrize(
    "text",
    [
        b"20240102-13:14:60",
        b"20240102-13:14:61",
        b"20240102-23:59:59.999",
        b"20240102-24:00:00",
        b"20240102-23:60:00",
        b"20241302-00:00:00",
        b"20240132-00:00:00",
        b"20240100-00:00:00",
        b"00000101-00:00:00",
        b"00010101-00:00:00",
        b"99991231-23:59:59.999999999",
        b"20240102-13:14:15.12",
        b"20240102-13:14:15,123",
        b"20240102 13:14:15",
    ],
)
def test_timestamp_boundaries_equal(text):
    try:
        expected = _parse_utc_python(text)
    except ValueError:
        expected = None
    fast = _fastfix.parse_utc(text)
    assert fast is None or fast == expected  # declining is allowed, a different value is not
    if expected is not None and -9 * 10**18 < expected < 9 * 10**18:
        assert fast == expected


def test_timestamp_compiled_path_taken_and_leap_rules():
    assert _fastfix.parse_utc(b"20240229-23:59:60.999999999") == _parse_utc_python(
        b"20240229-23:59:60.999999999"
    )
    assert _fastfix.parse_utc(b"20230229-00:00:00") is None  # not a leap year
    assert _fastfix.parse_utc(b"21000229-00:00:00") is None  # century rule
    assert _fastfix.parse_utc(b"20000229-00:00:00") == _parse_utc_python(b"20000229-00:00:00")


values = st.one_of(
    st.sampled_from([b"1", b"2", b"0", b"3", b"4", b"6", b"", b"100", b"00", b"10.5", b"-1", b"1e2", b"6 1"]),
    st.binary(min_size=1, max_size=8).filter(lambda b: b"\x01" not in b),
)
order_tags = st.dictionaries(
    st.sampled_from([1, 11, 18, 37, 38, 40, 41, 44, 54, 55, 59, 60]), values, max_size=12
)


def _outcome(parse, msg):
    try:
        return ("ok", parse(msg))
    except FixParseError as e:
        return ("err", e.reason, e.tag, str(e))


@settings(max_examples=500)
@given(order_tags, st.booleans())
def test_order_parsers_equal(fields, valid_time):
    base = {11: b"C1", 55: b"SIM", 54: b"1", 38: b"100", 40: b"2", 44: b"10.25", 41: b"C0"}
    base[60] = b"20240102-13:14:15.123" if valid_time else b"2024"
    base.update(fields)
    for msg_type, fast, slow in (
        ("D", parse_new_order_single, _parse_new_order_single),
        ("F", parse_order_cancel_request, _parse_order_cancel_request),
    ):
        msg = FixMessage(msg_type, 3, b"", dict(base))
        assert _outcome(fast, msg) == _outcome(slow, msg)
    # the gateway's struct-free forms give the same values and the same errors
    nos, cancel = FixMessage("D", 3, b"", dict(base)), FixMessage("F", 3, b"", dict(base))

    def nos_values(m):
        n = _parse_new_order_single(m)
        return (n.cl_ord_id, n.symbol, n.side, n.transact_time_ns, n.order_qty, n.order_type, n.price, n.tif,
                n.is_post_only, n.account)  # fmt: skip

    def cancel_fields(m):
        r = _parse_order_cancel_request(m)
        return r.orig_cl_ord_id, r.cl_ord_id, r.order_id, r.symbol, r.side, r.order_qty, r.transact_time_ns

    assert _outcome(new_order_values, nos) == _outcome(nos_values, nos)
    assert _outcome(cancel_values, cancel) == _outcome(cancel_fields, cancel)


def test_order_parsers_take_the_compiled_path():
    nos = {11: b"C1", 55: b"SIM", 54: b"2", 38: b"100", 40: b"2", 44: b"10.25", 60: b"20240102-13:14:15.123"}
    assert _fastfix.new_order(nos) == (
        "C1",
        "SIM",
        ord("2"),
        1704201255123000000,
        100,
        ord("2"),
        "10.25",
        -1,
        False,
        None,
    )
    cancel = {41: b"C1", 11: b"C2", 55: b"SIM", 54: b"1", 38: b"5", 60: b"20240102-13:14:15"}
    assert _fastfix.cancel(cancel) == ("C1", "C2", None, "SIM", ord("1"), 5, 1704201255000000000)


reports = st.builds(
    ExecutionReport,
    order_id=st.sampled_from(["12", "NONE", "é", "a\x01b"]),
    cl_ord_id=st.text(alphabet="ABCxyz019-", min_size=1, max_size=8),
    exec_id=st.sampled_from(["1", "7-2", "G0.0.3"]),
    exec_type=st.sampled_from(["0", "4", "5", "8", "C", "F", "D"]),
    ord_status=st.sampled_from(["0", "1", "2", "4", "8"]),
    symbol=st.sampled_from(["SIM", "AAPL"]),
    side=st.sampled_from([Side.BUY, Side.SELL]),
    order_qty=st.integers(min_value=0, max_value=10**12),
    leaves_qty=st.integers(min_value=0, max_value=10**6),
    cum_qty=st.integers(min_value=0, max_value=10**6),
    avg_px=st.sampled_from(["0", "10.25", "9.9999"]),
    transact_time_ns=st.integers(min_value=0, max_value=253402300799 * 10**9),
    price=st.one_of(st.none(), st.sampled_from(["10.25", "1"])),
    last_qty=st.integers(min_value=0, max_value=1000),
    last_px=st.one_of(st.none(), st.just("10.25")),
    orig_cl_ord_id=st.one_of(st.none(), st.just("C0")),
    ord_rej_reason=st.one_of(st.none(), st.integers(min_value=0, max_value=99)),
    text=st.one_of(st.none(), st.sampled_from(["unknown symbol", "x\x01y", "ü"])),
)


@settings(max_examples=400)
@given(reports, st.integers(min_value=1, max_value=10**9), st.integers(min_value=0, max_value=4 * 10**18))
def test_execution_report_encoding_equal(report, seq, sending_ns):
    try:
        expected = _encode_execution_report(VENUE, seq, sending_ns, report)
    except (ValueError, KeyError, OverflowError) as e:
        with pytest.raises(type(e)):
            encode_execution_report(VENUE, seq, sending_ns, report)
        return
    assert encode_execution_report(VENUE, seq, sending_ns, report) == expected
    values = tuple(getattr(report, name) for name in REPORT_VALUES)  # the venue's hot-path form
    assert report_from_values(values) == report
    compiled = VENUE.compiled_execution_report(seq, sending_ns, values)
    assert compiled is None or compiled == expected
    state = SessionState("VENUE", "CLIENT", next_out=seq)
    assert state.send_report(values, sending_ns) == expected  # the Python encoder when C declines


def test_execution_report_takes_the_compiled_path():
    report = ExecutionReport(
        order_id="1",
        cl_ord_id="C1",
        exec_id="1",
        exec_type="0",
        ord_status="0",
        symbol="SIM",
        side=Side.BUY,
        order_qty=100,
        leaves_qty=100,
        cum_qty=0,
        avg_px="0",
        transact_time_ns=TS_NS,
        price="10.25",
    )
    raw = VENUE.compiled_execution_report(5, TS_NS, report)
    assert raw is not None and raw == _encode_execution_report(VENUE, 5, TS_NS, report)
    values = tuple(getattr(report, name) for name in REPORT_VALUES)
    assert VENUE.compiled_execution_report(5, TS_NS, values) == raw


@given(st.text(max_size=40).filter(lambda t: "\x01" not in t))
def test_seal_equal_to_the_python_tail(body):
    text_body = f"58={body}\x01" if body else ""
    try:
        expected = b"".join(
            [
                VENUE._begin,
                b"%d\x01"
                % len(f"35=0{VENUE._comp_ids}1\x0152=20240102-13:14:15.123\x01{text_body}".encode("ascii")),
            ]
        )
    except UnicodeEncodeError:
        with pytest.raises(UnicodeEncodeError):
            VENUE.encode_body("0", 1, TS_NS, text_body)
        return
    raw = VENUE.encode_body("0", 1, TS_NS, text_body)
    assert raw.startswith(expected)
    assert int(raw[-4:-1]) == sum(raw[:-7]) % 256
