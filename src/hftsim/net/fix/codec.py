"""FIX 4.4 tag=value codec: encoder, stream framer, message view and UTC timestamps. Hot path.

Wire form (FIX 4.4, ``shared/PROTOCOLS.md`` section 2)::

    8=FIX.4.4|9=<body length>|35=<type>|49=..|56=..|34=..|52=..|<body fields>|10=<checksum>|

``|`` is SOH (0x01). BodyLength counts the bytes from the first byte after the SOH that ends
tag 9 up to and including the SOH before ``10=``. CheckSum is the sum of every byte before
``10=``, modulo 256, written as exactly three digits.

The framer never raises for bad input on the stream: each problem becomes a
:class:`~hftsim.core.errors.FixParseError` returned in stream order among the messages, so the
session can answer it (Reject for a bad field, silent drop for a garbled frame) and carry on with
the next message. Errors carry structured details as attributes (see :func:`fix_error`).
"""

from __future__ import annotations

from typing import Sequence

from hftsim.net.fix._error import SESSION_REJECT_REASON, FixErrorReason, fix_error
from hftsim.net.fix._fastfix import execution_report as _execution_report
from hftsim.net.fix._fastfix import seal as _seal
from hftsim.net.fix._framer import SOH, FixFramer, FixMessage, _byte_sum, decode_message, fix_checksum
from hftsim.net.fix._time import format_utc_timestamp, parse_utc_timestamp

__all__ = [
    "FixEncoder",
    "FixErrorReason",
    "FixFramer",
    "FixMessage",
    "SESSION_REJECT_REASON",
    "SOH",
    "decode_message",
    "fix_checksum",
    "fix_error",
    "format_utc_timestamp",
    "parse_utc_timestamp",
]


class FixEncoder:
    """Encode messages of one session direction (fixed SenderCompID and TargetCompID).

    Header fields are written in the order 8, 9, 35, 49, 56, 34, [43, 122,] 52; the trailer is
    CheckSum (10). All constant parts are built once in ``__init__``.
    """

    __slots__ = ("_comp_ids", "_begin", "_begin_sum", "_report_head")

    def __init__(self, sender_comp_id: str, target_comp_id: str, begin_string: str = "FIX.4.4") -> None:
        for name, value in (("sender_comp_id", sender_comp_id), ("target_comp_id", target_comp_id)):
            if not value or not value.isascii() or "\x01" in value:
                raise ValueError(f"{name} must be non-empty ASCII without SOH, got {value!r}")
        self._comp_ids = f"\x0149={sender_comp_id}\x0156={target_comp_id}\x0134="
        self._begin = f"8={begin_string}\x019=".encode("ascii")
        self._begin_sum = sum(self._begin)
        self._report_head = f"35=8{self._comp_ids}"

    def compiled_execution_report(self, msg_seq_num: int, sending_time_ns: int, report) -> bytes | None:
        """Return the ExecutionReport (35=8) ``report`` encoded by the compiled codec, or None.

        The bytes equal :func:`~hftsim.net.fix.application.encode_execution_report`'s (without
        PossDupFlag); None when a value is of a kind only the Python encoder handles (it then decides).
        """
        return _execution_report(self._begin, self._report_head, msg_seq_num, sending_time_ns, report)

    def encode(
        self,
        msg_type: str,
        msg_seq_num: int,
        sending_time_ns: int,
        fields: Sequence[tuple[int, object]] = (),
        *,
        poss_dup: bool = False,
        orig_sending_time_ns: int | None = None,
    ) -> bytes:
        """Encode a message from body ``fields`` (tag, value); values are formatted with ``str()``.

        Raises:
            ValueError: a value contains SOH or non-ASCII text.
        """
        body = "".join([f"{tag}={value}\x01" for tag, value in fields])
        if body.count("\x01") != len(fields):
            raise ValueError(f"a field value contains SOH: {body!r}")
        return self.encode_body(
            msg_type,
            msg_seq_num,
            sending_time_ns,
            body,
            poss_dup=poss_dup,
            orig_sending_time_ns=orig_sending_time_ns,
        )

    def encode_body(
        self,
        msg_type: str,
        msg_seq_num: int,
        sending_time_ns: int,
        body: str,
        *,
        poss_dup: bool = False,
        orig_sending_time_ns: int | None = None,
    ) -> bytes:
        """Encode a message whose body is already ``tag=value<SOH>...`` text (the fast path).

        The caller guarantees ``body`` is well formed; values must not contain SOH.
        """
        if poss_dup:
            dup = (
                "\x0143=Y"
                if orig_sending_time_ns is None
                else (f"\x0143=Y\x01122={format_utc_timestamp(orig_sending_time_ns)}")
            )
        else:
            dup = ""
        stamp = format_utc_timestamp(sending_time_ns)
        text = f"35={msg_type}{self._comp_ids}{msg_seq_num}{dup}\x0152={stamp}\x01{body}"
        sealed = _seal(self._begin, text)  # compiled: BodyLength and CheckSum in one pass
        if sealed is not None:
            return sealed
        data = text.encode("ascii")  # not ASCII: raises UnicodeEncodeError, as the Python path always did
        length = b"%d\x01" % len(data)
        checksum = (self._begin_sum + sum(length) + _byte_sum(data)) & 0xFF
        return b"".join((self._begin, length, data, b"10=%03d\x01" % checksum))
