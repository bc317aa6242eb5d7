"""FIX 4.4 codec: golden bytes, framing, error reasons and resynchronisation."""

from __future__ import annotations

import pytest
import simplefix

from hftsim.core.errors import FixParseError, ProtocolError
from hftsim.net.fix import (
    FixEncoder,
    FixErrorReason,
    FixFramer,
    FixMessage,
    decode_message,
    encode_heartbeat,
    encode_logon,
    encode_logout,
    encode_reject,
    encode_resend_request,
    encode_sequence_reset,
    encode_test_request,
    fix_checksum,
    format_utc_timestamp,
    parse_utc_timestamp,
)

from .fix_samples import TS_NS, TS_TEXT, bars, frame, header

ENC = FixEncoder("VENUE", "CLIENT")

# Golden messages. BodyLength counts from "35=" to the SOH before "10="; for the Logon:
# "35=A|" 5 + "49=VENUE|" 9 + "56=CLIENT|" 10 + "34=1|" 5 + "52=20240102-13:14:15.123|" 25
# + "98=0|" 5 + "108=30|" 7 = 66. CheckSum is the byte sum of everything before "10=" mod 256,
# summed once outside this codec (and cross-checked by simplefix's own encoder below).
GOLDEN = {
    "logon": (
        lambda: encode_logon(ENC, 1, TS_NS, heart_bt_int_s=30),
        b"8=FIX.4.4|9=66|35=A|49=VENUE|56=CLIENT|34=1|52=20240102-13:14:15.123|98=0|108=30|10=052|",
    ),
    "heartbeat": (
        lambda: encode_heartbeat(ENC, 2, TS_NS, "TEST1"),
        b"8=FIX.4.4|9=64|35=0|49=VENUE|56=CLIENT|34=2|52=20240102-13:14:15.123|112=TEST1|10=076|",
    ),
    "test_request": (
        lambda: encode_test_request(ENC, 3, TS_NS, "TEST1"),
        b"8=FIX.4.4|9=64|35=1|49=VENUE|56=CLIENT|34=3|52=20240102-13:14:15.123|112=TEST1|10=078|",
    ),
    "resend_request": (
        lambda: encode_resend_request(ENC, 4, TS_NS, 10),
        b"8=FIX.4.4|9=64|35=2|49=VENUE|56=CLIENT|34=4|52=20240102-13:14:15.123|7=10|16=0|10=184|",
    ),
    "reject": (
        lambda: encode_reject(
            ENC,
            5,
            TS_NS,
            ref_seq_num=7,
            ref_tag_id=38,
            ref_msg_type="D",
            session_reject_reason=6,
            text="bad qty",
        ),
        b"8=FIX.4.4|9=89|35=3|49=VENUE|56=CLIENT|34=5|52=20240102-13:14:15.123|45=7|371=38|372=D|373=6|"
        b"58=bad qty|10=183|",
    ),
    "sequence_reset": (
        lambda: encode_sequence_reset(ENC, 6, TS_NS, 9),
        b"8=FIX.4.4|9=96|35=4|49=VENUE|56=CLIENT|34=6|43=Y|122=20240102-13:14:15.123|"
        b"52=20240102-13:14:15.123|123=Y|36=9|10=019|",
    ),
    "logout": (
        lambda: encode_logout(ENC, 7, TS_NS, "bye"),
        b"8=FIX.4.4|9=61|35=5|49=VENUE|56=CLIENT|34=7|52=20240102-13:14:15.123|58=bye|10=251|",
    ),
}


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_session_builder_matches_golden_bytes(name):
    build, expected = GOLDEN[name]
    assert bars(build()) == expected


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_session_builder_simplefix_recomputes_same_length_and_checksum(name):
    data = GOLDEN[name][0]()
    parser = simplefix.FixParser()
    parser.append_buffer(data)
    message = parser.get_message()
    assert message is not None
    assert message.encode() == data  # simplefix recomputes 9 and 10 from the fields


def test_encoder_generic_fields_equal_simplefix_encoding():
    data = ENC.encode("D", 12, TS_NS, [(11, "C1"), (55, "AAPL"), (54, 1), (38, 100), (40, 2), (44, "1.5")])
    ref = simplefix.FixMessage()
    for tag, value in [
        (8, "FIX.4.4"),
        (35, "D"),
        (49, "VENUE"),
        (56, "CLIENT"),
        (34, 12),
        (52, TS_TEXT),
        (11, "C1"),
        (55, "AAPL"),
        (54, 1),
        (38, 100),
        (40, 2),
        (44, "1.5"),
    ]:
        ref.append_pair(tag, value)
    assert data == ref.encode()


def test_encoder_value_with_soh_raises_value_error():
    with pytest.raises(ValueError):
        ENC.encode("D", 1, TS_NS, [(58, "a\x01b")])


def test_encoder_non_ascii_value_raises_value_error():
    with pytest.raises(ValueError):
        ENC.encode("D", 1, TS_NS, [(58, "café")])


def test_encoder_poss_dup_writes_43_and_122_before_52():
    data = ENC.encode("8", 3, TS_NS, [(58, "x")], poss_dup=True, orig_sending_time_ns=0)
    assert b"|34=3|43=Y|122=19700101-00:00:00.000|52=" + TS_TEXT.encode() in bars(data)


def test_checksum_of_known_bytes():
    assert fix_checksum(b"\x01" * 300) == 300 % 256


# ---------------------------------------------------------------- timestamps


def test_format_utc_timestamp_truncates_to_milliseconds():
    assert format_utc_timestamp(TS_NS) == TS_TEXT
    assert format_utc_timestamp(0) == "19700101-00:00:00.000"
    assert format_utc_timestamp(951_782_400_999_999_999) == "20000229-00:00:00.999"  # leap day


def test_format_utc_timestamp_negative_raises():
    with pytest.raises(ValueError):
        format_utc_timestamp(-1)


@pytest.mark.parametrize(
    "text, expected",
    [
        ("20240102-13:14:15", TS_NS - 123_456_789),
        ("20240102-13:14:15.123", TS_NS - 456_789),
        ("20240102-13:14:15.123456", TS_NS - 789),
        ("20240102-13:14:15.123456789", TS_NS),
    ],
)
def test_parse_utc_timestamp_accepts_each_precision(text, expected):
    assert parse_utc_timestamp(text) == expected
    assert parse_utc_timestamp(text.encode()) == expected


@pytest.mark.parametrize(
    "text",
    [
        "",
        "20240102",
        "20240102 13:14:15",
        "20241302-13:14:15",
        "20240102-24:00:00",
        "20240102-13:14:15.12",
        "20240102-13:14:15,123",
        "2024O102-13:14:15",
    ],
)
def test_parse_utc_timestamp_malformed_raises_value_error(text):
    with pytest.raises(ValueError):
        parse_utc_timestamp(text)


# ---------------------------------------------------------------- framing

NOS_BODY = header("D", 5) + f"11=C1|55=AAPL|54=1|60={TS_TEXT}|38=100|40=2|44=10.5|"


def good(seq: int = 5) -> bytes:
    return frame(header("D", seq) + f"11=C{seq}|55=AAPL|54=1|60={TS_TEXT}|38=100|40=2|44=10.5|")


def test_framer_one_message_gives_fast_lookup():
    (msg,) = FixFramer().feed(good())
    assert isinstance(msg, FixMessage)
    assert (msg.msg_type, msg.msg_seq_num) == ("D", 5)
    assert msg.get(11) == b"C5" and msg.get_str(55) == "AAPL" and msg.get_int(38) == 100
    assert msg.get(99) is None and 11 in msg and 99 not in msg
    assert msg.tags()[:5] == [35, 49, 56, 34, 52]
    assert msg.raw == good()


def test_framer_byte_by_byte_feed_gives_same_messages():
    stream = good(1) + good(2) + good(3)
    framer = FixFramer()
    out = []
    for i in range(len(stream)):
        out += framer.feed(stream[i : i + 1])
    assert [m.msg_seq_num for m in out] == [1, 2, 3]
    assert framer.buffered == 0


def test_framer_partial_message_waits_for_rest():
    framer = FixFramer()
    data = good()
    assert framer.feed(data[:-1]) == []
    assert framer.buffered == len(data) - 1
    assert [m.msg_seq_num for m in framer.feed(data[-1:])] == [5]


def reasons(out):
    return [x.reason if isinstance(x, FixParseError) else x.msg_seq_num for x in out]


def test_framer_bad_checksum_reported_and_next_message_kept():
    bad = frame(NOS_BODY, checksum=0 if fix_checksum(frame(NOS_BODY)[:-7]) else 1)
    out = FixFramer().feed(bad + good(6))
    assert reasons(out) == [FixErrorReason.BAD_CHECKSUM, 6]
    assert out[0].is_garbled and out[0].session_reject_reason is None and out[0].tag == 10
    assert "checksum" in str(out[0]).lower()


@pytest.mark.parametrize("delta", [-3, -1, 1, 5])
def test_framer_wrong_body_length_reported_and_next_message_kept(delta):
    real = len(NOS_BODY.replace("|", "\x01"))
    out = FixFramer().feed(frame(NOS_BODY, body_length=real + delta) + good(6) + good(7))
    assert out[0].reason == FixErrorReason.BAD_BODY_LENGTH
    assert reasons(out)[-2:] == [6, 7]


def test_framer_body_length_past_end_of_data_does_not_hold_back_next_message():
    real = len(NOS_BODY.replace("|", "\x01"))
    out = FixFramer().feed(frame(NOS_BODY, body_length=real + 400) + good(6))
    assert reasons(out) == [FixErrorReason.BAD_BODY_LENGTH, 6]


@pytest.mark.parametrize("length", [b"", b"abc", b"-5", b"1x"])
def test_framer_non_numeric_body_length_reported(length):
    bad = b"8=FIX.4.4\x019=" + length + b"\x01" + b"35=0\x01" + b"10=000\x01"
    out = FixFramer().feed(bad + good(6))
    assert out[0].reason == FixErrorReason.BAD_BODY_LENGTH
    assert reasons(out)[-1] == 6


def test_framer_missing_body_length_field_reported():
    out = FixFramer().feed(b"8=FIX.4.4\x0135=0\x0110=000\x01" + good(6))
    assert reasons(out) == [FixErrorReason.BAD_BODY_LENGTH, 6]


def test_framer_garbage_before_begin_string_reported_with_offset():
    out = FixFramer().feed(b"hello" + good(6))
    assert reasons(out) == [FixErrorReason.GARBAGE, 6]
    assert out[0].offset == 0 and "5 bytes" in str(out[0])


def test_framer_garbage_between_messages_reported_once():
    framer = FixFramer()
    out = framer.feed(good(1) + b"\r\nxx" + good(2))
    assert reasons(out) == [1, FixErrorReason.GARBAGE, 2]
    assert out[1].offset == len(good(1))


def test_framer_garbage_only_is_dropped_except_possible_start():
    framer = FixFramer()
    out = framer.feed(b"abcdef8=F")
    assert reasons(out) == [FixErrorReason.GARBAGE]
    assert framer.buffered == 3
    assert reasons(framer.feed(good(3)[3:])) == [3]


def test_framer_wrong_begin_string_reported_and_skipped():
    out = FixFramer().feed(frame(NOS_BODY, begin=b"FIX.4.2") + good(6))
    assert reasons(out) == [FixErrorReason.BAD_BEGIN_STRING, 6]


def test_framer_huge_body_length_refused_without_buffering():
    framer = FixFramer(max_body_length=4096)
    out = framer.feed(b"8=FIX.4.4\x019=999999999\x01" + good(6))
    assert reasons(out) == [FixErrorReason.MESSAGE_TOO_LARGE, 6]
    assert framer.buffered == 0


@pytest.mark.parametrize("missing", [49, 56, 34, 52])
def test_framer_missing_header_tag_reported_naming_tag(missing):
    fields = [f for f in NOS_BODY.split("|") if f and not f.startswith(f"{missing}=")]
    out = FixFramer().feed(frame("|".join(fields) + "|") + good(6))
    assert reasons(out) == [FixErrorReason.MISSING_TAG, 6]
    assert out[0].tag == missing and out[0].session_reject_reason == 1 and not out[0].is_garbled
    assert str(missing) in str(out[0])
    if missing != 34:
        assert out[0].msg_seq_num == 5 and out[0].msg_type == "D"


def test_framer_duplicate_tag_reported():
    out = FixFramer().feed(frame(NOS_BODY + "55=MSFT|") + good(6))
    assert reasons(out) == [FixErrorReason.DUPLICATE_TAG, 6]
    assert out[0].tag == 55 and out[0].msg_seq_num == 5 and out[0].session_reject_reason == 13


@pytest.mark.parametrize(
    "field, reason",
    [
        ("x1=2", FixErrorReason.NON_NUMERIC_TAG),
        ("05=2", FixErrorReason.NON_NUMERIC_TAG),
        (" 5=2", FixErrorReason.NON_NUMERIC_TAG),
        ("=2", FixErrorReason.MALFORMED_FIELD),
        ("5", FixErrorReason.MALFORMED_FIELD),
        ("58=", FixErrorReason.EMPTY_VALUE),
    ],
)
def test_framer_malformed_field_reported_with_reason(field, reason):
    out = FixFramer().feed(frame(NOS_BODY + field + "|") + good(6))
    assert reasons(out) == [reason, 6]
    assert out[0].msg_seq_num == 5


def test_framer_msg_type_not_third_reported_out_of_order():
    body = f"49=CLIENT|35=D|56=VENUE|34=5|52={TS_TEXT}|"
    out = FixFramer().feed(frame(body))
    assert reasons(out) == [FixErrorReason.TAG_OUT_OF_ORDER]
    assert out[0].session_reject_reason == 14


def test_framer_non_numeric_seq_num_reported():
    out = FixFramer().feed(frame(NOS_BODY.replace("34=5", "34=5a")))
    assert reasons(out) == [FixErrorReason.BAD_VALUE]
    assert out[0].tag == 34


def test_framer_errors_keep_stream_offsets():
    framer = FixFramer()
    first = good(1)
    framer.feed(first)
    (err,) = framer.feed(b"zz")
    assert err.offset == len(first)


def test_decode_message_returns_message_and_raises_on_errors():
    assert decode_message(good()).msg_seq_num == 5
    with pytest.raises(FixParseError) as e:
        decode_message(frame(NOS_BODY, checksum=1 + fix_checksum(frame(NOS_BODY)[:-7]) % 255))
    assert e.value.reason == FixErrorReason.BAD_CHECKSUM
    with pytest.raises(FixParseError):
        decode_message(good()[:-1])
    with pytest.raises(FixParseError):
        decode_message(good() + good())


def test_fix_parse_error_is_protocol_error():
    with pytest.raises(ProtocolError):
        decode_message(b"garbage")


def test_message_get_int_rejects_non_integer_naming_tag():
    msg = decode_message(frame(NOS_BODY.replace("38=100", "38=1e2")))
    with pytest.raises(FixParseError) as e:
        msg.get_int(38)
    assert e.value.tag == 38 and e.value.reason == FixErrorReason.BAD_VALUE and e.value.msg_seq_num == 5


def test_message_require_missing_tag_names_it():
    msg = decode_message(good())
    with pytest.raises(FixParseError) as e:
        msg.require(41)
    assert e.value.tag == 41 and "41" in str(e.value) and e.value.session_reject_reason == 1


def test_message_high_tag_numbers_looked_up():
    msg = decode_message(frame(NOS_BODY + "20001=x|"))
    assert msg.get(20001) == b"x"


def test_framer_parses_message_built_by_simplefix():
    ref = simplefix.FixMessage()
    for tag, value in [
        (8, "FIX.4.4"),
        (35, "1"),
        (49, "CLIENT"),
        (56, "VENUE"),
        (34, 9),
        (52, TS_TEXT),
        (112, "ping"),
    ]:
        ref.append_pair(tag, value)
    (msg,) = FixFramer().feed(ref.encode())
    assert (msg.msg_type, msg.msg_seq_num, msg.get_str(112)) == ("1", 9, "ping")


def test_format_utc_timestamp_same_millisecond_cache_never_leaks_between_values():
    assert format_utc_timestamp(TS_NS) == TS_TEXT
    assert format_utc_timestamp(TS_NS + 1) == TS_TEXT
    assert format_utc_timestamp(TS_NS + 1_000_000) == "20240102-13:14:15.124"
    assert format_utc_timestamp(TS_NS + 86_400_000_000_000) == "20240103-13:14:15.123"
    assert format_utc_timestamp(TS_NS) == TS_TEXT


@pytest.mark.parametrize("size", [0, 1, 255, 256, 257, 511, 512, 513, 5000])
def test_checksum_equals_naive_byte_sum_at_chunk_edges(size):
    for data in (b"\xff" * size, bytes(i * 7 % 256 for i in range(size))):
        total = 0
        for byte in data:
            total += byte
        assert fix_checksum(data) == total % 256
