"""FIX 4.4 session-level (administrative) message builders. Hot path for Heartbeat, cold otherwise.

Each builder takes the session's :class:`~hftsim.net.fix.codec.FixEncoder`, the MsgSeqNum (34) and
SendingTime (52) in ns, and returns the encoded message. The rules of when to send which message
are in ``shared/PROTOCOLS.md`` section 2 and belong to the session, not here.
"""

from __future__ import annotations

from hftsim.net.fix.codec import FixEncoder

__all__ = [
    "encode_heartbeat",
    "encode_logon",
    "encode_logout",
    "encode_reject",
    "encode_resend_request",
    "encode_sequence_reset",
    "encode_test_request",
]


def _text(value: str) -> str:
    if "\x01" in value:
        raise ValueError(f"field value must not contain SOH: {value!r}")
    return value


def encode_logon(
    encoder: FixEncoder,
    msg_seq_num: int,
    sending_time_ns: int,
    *,
    heart_bt_int_s: int,
    reset_seq_num: bool = False,
) -> bytes:
    """Encode a Logon (35=A): EncryptMethod 98=0, HeartBtInt 108, and 141=Y when resetting."""
    if heart_bt_int_s < 0:
        raise ValueError(f"heart_bt_int_s must be >= 0, got {heart_bt_int_s}")
    body = f"98=0\x01108={heart_bt_int_s}\x01" + ("141=Y\x01" if reset_seq_num else "")
    return encoder.encode_body("A", msg_seq_num, sending_time_ns, body)


def encode_heartbeat(
    encoder: FixEncoder,
    msg_seq_num: int,
    sending_time_ns: int,
    test_req_id: str | None = None,
) -> bytes:
    """Encode a Heartbeat (35=0), echoing TestReqID 112 when it answers a TestRequest."""
    body = "" if test_req_id is None else f"112={_text(test_req_id)}\x01"
    return encoder.encode_body("0", msg_seq_num, sending_time_ns, body)


def encode_test_request(
    encoder: FixEncoder, msg_seq_num: int, sending_time_ns: int, test_req_id: str
) -> bytes:
    """Encode a TestRequest (35=1) with TestReqID 112."""
    return encoder.encode_body("1", msg_seq_num, sending_time_ns, f"112={_text(test_req_id)}\x01")


def encode_resend_request(
    encoder: FixEncoder,
    msg_seq_num: int,
    sending_time_ns: int,
    begin_seq_no: int,
    end_seq_no: int = 0,
) -> bytes:
    """Encode a ResendRequest (35=2): BeginSeqNo 7, EndSeqNo 16 (0 means everything after)."""
    if begin_seq_no < 1 or end_seq_no < 0 or (end_seq_no and end_seq_no < begin_seq_no):
        raise ValueError(f"bad resend range {begin_seq_no}..{end_seq_no}")
    return encoder.encode_body("2", msg_seq_num, sending_time_ns, f"7={begin_seq_no}\x0116={end_seq_no}\x01")


def encode_reject(
    encoder: FixEncoder,
    msg_seq_num: int,
    sending_time_ns: int,
    *,
    ref_seq_num: int,
    ref_tag_id: int | None = None,
    ref_msg_type: str | None = None,
    session_reject_reason: int | None = None,
    text: str | None = None,
) -> bytes:
    """Encode a session Reject (35=3).

    Fields: RefSeqNum 45, RefTagID 371, RefMsgType 372, SessionRejectReason 373, Text 58.
    """
    body = (
        f"45={ref_seq_num}\x01"
        + (f"371={ref_tag_id}\x01" if ref_tag_id else "")
        + (f"372={_text(ref_msg_type)}\x01" if ref_msg_type else "")
        + (f"373={session_reject_reason}\x01" if session_reject_reason is not None else "")
        + (f"58={_text(text)}\x01" if text else "")
    )
    return encoder.encode_body("3", msg_seq_num, sending_time_ns, body)


def encode_sequence_reset(
    encoder: FixEncoder,
    msg_seq_num: int,
    sending_time_ns: int,
    new_seq_no: int,
    *,
    gap_fill: bool = True,
    orig_sending_time_ns: int | None = None,
) -> bytes:
    """Encode a SequenceReset (35=4): GapFillFlag 123, NewSeqNo 36.

    A gap fill answers a ResendRequest, so it goes out as a possible duplicate (43=Y) with
    MsgSeqNum = the first number it skips. A reset (``gap_fill=False``) is for disaster recovery.
    """
    if new_seq_no <= msg_seq_num and gap_fill:
        raise ValueError(f"NewSeqNo {new_seq_no} must be above MsgSeqNum {msg_seq_num}")
    body = f"123={'Y' if gap_fill else 'N'}\x0136={new_seq_no}\x01"
    return encoder.encode_body(
        "4",
        msg_seq_num,
        sending_time_ns,
        body,
        poss_dup=gap_fill,
        orig_sending_time_ns=(orig_sending_time_ns if orig_sending_time_ns is not None else sending_time_ns)
        if gap_fill
        else None,
    )


def encode_logout(
    encoder: FixEncoder, msg_seq_num: int, sending_time_ns: int, text: str | None = None
) -> bytes:
    """Encode a Logout (35=5) with an optional Text 58."""
    return encoder.encode_body("5", msg_seq_num, sending_time_ns, f"58={_text(text)}\x01" if text else "")
