"""Fuzz the FIX framer and parsers: random bytes and mutated messages give messages or FixParseErrors only."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hftsim.core.errors import FixParseError
from hftsim.net.fix import (
    FixEncoder,
    FixFramer,
    FixMessage,
    parse_new_order_single,
    parse_order_cancel_replace_request,
    parse_order_cancel_request,
    parse_utc_timestamp,
)

pytestmark = pytest.mark.timeout(120)  # a hang fails the test instead of blocking the run

CLIENT = FixEncoder("CLIENT", "VENUE")
TS_NS = 1_704_201_255_123_000_000
NOS_FIELDS = [
    (11, "C1"),
    (55, "AAPL"),
    (54, 1),
    (60, "20240102-13:14:15.123"),
    (38, 100),
    (40, 2),
    (44, "10.5"),
]
MAX_BODY = 4096


def valid(seq: int, msg_type: str = "D") -> bytes:
    return CLIENT.encode(msg_type, seq, TS_NS, NOS_FIELDS + [(41, "C0")])


def feed_in_chunks(data: bytes, cuts: list[int]) -> tuple[list, FixFramer]:
    framer = FixFramer(max_body_length=MAX_BODY)
    out = []
    points = sorted({min(c, len(data)) for c in cuts}) + [len(data)]
    start = 0
    for point in points:
        out += framer.feed(data[start:point])
        start = point
        # the buffer is bounded: at most one frame of the largest allowed size is ever held
        assert framer.buffered <= MAX_BODY + 64
    return out, framer


def check_items(out: list) -> None:
    for item in out:
        assert isinstance(item, (FixMessage, FixParseError))


chunk_cuts = st.lists(st.integers(min_value=0, max_value=4096), max_size=12)


@given(data=st.binary(max_size=4096), cuts=chunk_cuts)
def test_framer_random_bytes_never_raise(data, cuts):
    out, _ = feed_in_chunks(data, cuts)
    check_items(out)


@given(
    data=st.lists(
        st.sampled_from(
            [
                b"8=FIX.4.4\x01",
                b"9=",
                b"10=",
                b"\x01",
                b"35=D",
                b"8=FIX",
                b"=",
                b"0",
                b"12",
                b"9=70\x01",
                b"10=123\x01",
                b"x",
            ]
        ),
        max_size=200,
    ).map(b"".join),
    cuts=chunk_cuts,
)
def test_framer_fix_like_tokens_never_raise(data, cuts):
    out, _ = feed_in_chunks(data, cuts)
    check_items(out)


@given(
    index=st.integers(min_value=0, max_value=10_000),
    byte=st.integers(min_value=0, max_value=255),
    cuts=chunk_cuts,
)
def test_framer_one_corrupted_byte_keeps_following_message(index, byte, cuts):
    first = bytearray(valid(1))
    first[index % len(first)] = byte
    out, _ = feed_in_chunks(bytes(first) + valid(2), cuts)
    check_items(out)
    # whatever the damage, the next well-formed message is recovered
    assert [m.msg_seq_num for m in out if isinstance(m, FixMessage)][-1:] == [2]


@given(digits=st.integers(min_value=0, max_value=4096), cuts=chunk_cuts)
def test_framer_any_declared_body_length_keeps_following_message(digits, cuts):
    first = valid(1)
    start = first.index(b"\x019=") + 3
    stop = first.index(b"\x01", start)
    out, _ = feed_in_chunks(first[:start] + b"%d" % digits + first[stop:] + valid(2), cuts)
    check_items(out)
    assert [m.msg_seq_num for m in out if isinstance(m, FixMessage)][-1:] == [2]


@given(
    junk=st.lists(st.binary(max_size=40).filter(lambda b: b"8" not in b), min_size=3, max_size=3),
    cuts=chunk_cuts,
)
def test_framer_garbage_between_messages_never_loses_a_message(junk, cuts):
    stream = junk[0] + valid(1) + junk[1] + valid(2) + junk[2] + valid(3)
    out, _ = feed_in_chunks(stream, cuts)
    assert [m.msg_seq_num for m in out if isinstance(m, FixMessage)] == [1, 2, 3]


field_values = st.one_of(
    st.binary(min_size=1, max_size=30).filter(lambda b: b"\x01" not in b),
    st.sampled_from(
        [
            b"0",
            b"-1",
            b"1",
            b"2",
            b"NaN",
            b"Infinity",
            b"1e999999",
            b"9" * 30,
            b"20240230-00:00:00",
            b"20240102-13:14:15.123456789",
        ]
    ),
)


@given(
    replacements=st.dictionaries(
        st.sampled_from([11, 55, 54, 60, 38, 40, 44, 59, 18, 41, 37]), field_values, max_size=5
    ),
    drop=st.sets(st.sampled_from([11, 55, 54, 60, 38, 40, 44, 41])),
    msg_type=st.sampled_from(["D", "F", "G"]),
)
def test_application_parsers_raise_only_fix_parse_error(replacements, drop, msg_type):
    fields = [(t, replacements.get(t, v)) for t, v in NOS_FIELDS + [(41, "C0"), (59, "0")] if t not in drop]
    body = b"".join(b"%d=%s\x01" % (t, v if isinstance(v, bytes) else str(v).encode()) for t, v in fields)
    data = CLIENT.encode_body(msg_type, 5, TS_NS, body.decode("latin-1").encode("ascii", "replace").decode())
    (msg,) = FixFramer().feed(data)
    if isinstance(msg, FixParseError):
        return
    parse = {
        "D": parse_new_order_single,
        "F": parse_order_cancel_request,
        "G": parse_order_cancel_replace_request,
    }
    try:
        parse[msg_type](msg)
    except FixParseError as e:
        assert e.tag in (11, 55, 54, 60, 38, 40, 44, 59, 41)


@given(st.text(max_size=40) | st.binary(max_size=40))
def test_parse_utc_timestamp_raises_only_value_error(text):
    try:
        parse_utc_timestamp(text)
    except ValueError:
        pass
