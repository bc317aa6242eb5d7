"""FIX 4.4 session-level builders: options and argument checks (golden bytes are in test_fix_codec)."""

from __future__ import annotations

import pytest

from hftsim.net.fix import (
    FixEncoder,
    decode_message,
    encode_heartbeat,
    encode_logon,
    encode_logout,
    encode_reject,
    encode_resend_request,
    encode_sequence_reset,
    encode_test_request,
)

from .fix_samples import TS_NS

ENC = FixEncoder("VENUE", "CLIENT")


def test_logon_reset_flag_and_heartbeat_interval():
    msg = decode_message(encode_logon(ENC, 1, TS_NS, heart_bt_int_s=5, reset_seq_num=True))
    assert (msg.msg_type, msg.get(98), msg.get(108), msg.get(141)) == ("A", b"0", b"5", b"Y")
    assert 141 not in decode_message(encode_logon(ENC, 1, TS_NS, heart_bt_int_s=5))


def test_heartbeat_without_test_request_has_no_112():
    msg = decode_message(encode_heartbeat(ENC, 4, TS_NS))
    assert msg.msg_type == "0" and 112 not in msg and msg.msg_seq_num == 4


def test_sequence_reset_gap_fill_is_poss_dup_and_reset_is_not():
    gap = decode_message(encode_sequence_reset(ENC, 3, TS_NS, 8, orig_sending_time_ns=0))
    assert (gap.get(123), gap.get(36), gap.get(43), gap.get(122)) == (
        b"Y",
        b"8",
        b"Y",
        b"19700101-00:00:00.000",
    )
    reset = decode_message(encode_sequence_reset(ENC, 1, TS_NS, 50, gap_fill=False))
    assert reset.get(123) == b"N" and 43 not in reset and 122 not in reset


def test_reject_optional_fields_omitted():
    msg = decode_message(encode_reject(ENC, 2, TS_NS, ref_seq_num=9))
    assert msg.get(45) == b"9" and all(t not in msg for t in (371, 372, 373, 58))


def test_logout_text_optional():
    assert 58 not in decode_message(encode_logout(ENC, 2, TS_NS))
    assert decode_message(encode_logout(ENC, 2, TS_NS, "bye")).get(58) == b"bye"


@pytest.mark.parametrize(
    "build",
    [
        lambda: encode_resend_request(ENC, 1, TS_NS, 0),
        lambda: encode_resend_request(ENC, 1, TS_NS, 10, 5),
        lambda: encode_sequence_reset(ENC, 5, TS_NS, 5),
        lambda: encode_test_request(ENC, 1, TS_NS, "a\x01b"),
        lambda: encode_reject(ENC, 1, TS_NS, ref_seq_num=1, text="a\x01b"),
        lambda: encode_logon(ENC, 1, TS_NS, heart_bt_int_s=-1),
        lambda: FixEncoder("", "X"),
    ],
)
def test_invalid_arguments_raise_value_error(build):
    with pytest.raises(ValueError):
        build()
