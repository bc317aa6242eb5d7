"""FIX parse-error reasons and the structured FixParseError the codec reports. Cold path."""

from __future__ import annotations

from enum import IntEnum

from hftsim.core.errors import FixParseError

__all__ = ["SESSION_REJECT_REASON", "FixErrorReason", "fix_error"]


class FixErrorReason(IntEnum):
    """Why a FIX message was refused. The first five mean a garbled frame: drop it silently."""

    GARBAGE = 1  #: bytes before ``8=`` (skipped)
    BAD_BODY_LENGTH = 2  #: 9 missing, not numeric, or not pointing at ``10=nnn<SOH>``
    BAD_CHECKSUM = 3
    MESSAGE_TOO_LARGE = 4
    BAD_BEGIN_STRING = 5
    MALFORMED_FIELD = 6  #: a field without ``=`` or with an empty tag
    NON_NUMERIC_TAG = 7
    EMPTY_VALUE = 8
    DUPLICATE_TAG = 9
    MISSING_TAG = 10
    TAG_OUT_OF_ORDER = 11
    BAD_VALUE = 12
    UNSUPPORTED_VALUE = 13


#: SessionRejectReason (373) for each reason a Reject (35=3) answers; garbled frames get none
SESSION_REJECT_REASON: dict[FixErrorReason, int] = {
    FixErrorReason.MALFORMED_FIELD: 0,  # Invalid tag number
    FixErrorReason.NON_NUMERIC_TAG: 0,  # Invalid tag number
    FixErrorReason.MISSING_TAG: 1,  # Required tag missing
    FixErrorReason.EMPTY_VALUE: 4,  # Tag specified without a value
    FixErrorReason.UNSUPPORTED_VALUE: 5,  # Value is incorrect (out of range) for this tag
    FixErrorReason.BAD_VALUE: 6,  # Incorrect data format for value
    FixErrorReason.DUPLICATE_TAG: 13,  # Tag appears more than once
    FixErrorReason.TAG_OUT_OF_ORDER: 14,  # Tag specified out of required order
}


def fix_error(
    reason: FixErrorReason,
    detail: str,
    *,
    tag: int = 0,
    msg_seq_num: int = 0,
    msg_type: str = "",
    offset: int = -1,
) -> FixParseError:
    """Build a FixParseError carrying structured details for the session layer.

    The returned error has the attributes ``reason`` (:class:`FixErrorReason`), ``tag`` (the
    offending tag or 0), ``msg_seq_num`` and ``msg_type`` (of the refused message when known, for
    RefSeqNum 45 / RefMsgType 372), ``offset`` (stream offset of the frame or -1),
    ``is_garbled`` (drop without Reject and without consuming a sequence number) and
    ``session_reject_reason`` (value for tag 373, or None).
    """
    e = FixParseError(f"{reason.name.lower()}: {detail}")
    e.reason = reason
    e.tag = tag
    e.msg_seq_num = msg_seq_num
    e.msg_type = msg_type
    e.offset = offset
    e.is_garbled = reason <= FixErrorReason.BAD_BEGIN_STRING
    e.session_reject_reason = SESSION_REJECT_REASON.get(reason)
    return e
