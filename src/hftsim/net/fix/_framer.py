"""FIX 4.4 stream framer and parsed-message view. Hot path.

See :mod:`hftsim.net.fix.codec` for the wire form. The framer never raises for bad input on the
stream: each problem becomes a FixParseError returned in stream order among the messages.
"""

from __future__ import annotations

import re
from zlib import adler32

from hftsim.core.errors import FixParseError
from hftsim.net.fix import _fastfix
from hftsim.net.fix._error import FixErrorReason, fix_error

__all__ = ["FixFramer", "FixMessage", "decode_message", "fix_checksum"]

SOH = b"\x01"
#: a well-formed body: one or more ``tag=value<SOH>`` with a positive tag without leading zeros
_WELL_FORMED_BODY = re.compile(rb"(?:[1-9][0-9]*=[^\x01]+\x01)+").fullmatch
_MESSAGE_START = b"8=FIX"
_HEADER_TAGS = (49, 56, 52)
_MAX_INT_DIGITS = 18  # int64 range; also keeps int() below Python's digit limit


def _byte_sum(data: bytes) -> int:
    """Return the sum of the bytes of ``data``, computed in C through Adler-32.

    Adler-32's low half is ``(1 + sum of bytes) mod 65521``; for up to 256 bytes the sum is at most
    65280, below the modulus, so it is exact. Longer data is summed in 256-byte pieces. This is
    about five times faster than ``sum(data)`` for a typical 200-byte message.
    """
    if len(data) <= 256:
        return (adler32(data) & 0xFFFF) - 1
    view = memoryview(data)
    return sum([(adler32(view[i : i + 256]) & 0xFFFF) - 1 for i in range(0, len(data), 256)])


def fix_checksum(data: bytes) -> int:
    """Return the FIX CheckSum of ``data``: the byte sum modulo 256."""
    return _byte_sum(data) & 0xFF


class FixMessage:
    """A parsed FIX message: fast lookup of field values by tag. Repeating groups are not supported.

    Attributes:
        msg_type: MsgType (35), e.g. ``"D"``.
        msg_seq_num: MsgSeqNum (34).
        raw: the whole message as received, ``8=`` through the checksum's SOH.
    """

    __slots__ = ("msg_type", "msg_seq_num", "raw", "_fields")

    def __init__(self, msg_type: str, msg_seq_num: int, raw: bytes, fields: dict[int, bytes]) -> None:
        self.msg_type = msg_type
        self.msg_seq_num = msg_seq_num
        self.raw = raw
        self._fields = fields

    def get(self, tag: int) -> bytes | None:
        """Return the raw value of ``tag`` (a body or header tag other than 8, 9, 10), or None."""
        return self._fields.get(tag)

    def __contains__(self, tag: int) -> bool:
        return self.get(tag) is not None

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"FixMessage({self.raw.replace(SOH, b'|')!r})"

    def tags(self) -> list[int]:
        """Return the tags of the message after BodyLength and before CheckSum, in wire order."""
        return list(self._fields)

    def get_str(self, tag: int) -> str | None:
        """Return the value of ``tag`` as text, or None when absent."""
        value = self.get(tag)
        return None if value is None else value.decode("latin-1")

    def get_int(self, tag: int) -> int | None:
        """Return the value of ``tag`` as an int, or None when absent.

        Raises:
            FixParseError: the value is not an optionally signed run of ASCII digits.
        """
        value = self.get(tag)
        if value is None:
            return None
        digits = value[1:] if value[:1] == b"-" else value
        if not digits.isdigit() or len(digits) > _MAX_INT_DIGITS:
            raise self.error(FixErrorReason.BAD_VALUE, f"tag {tag} must be an integer, got {value!r}", tag)
        return int(value)

    def require(self, tag: int) -> bytes:
        """Return the raw value of ``tag``.

        Raises:
            FixParseError: the tag is absent (reason MISSING_TAG, naming the tag).
        """
        value = self.get(tag)
        if value is None:
            raise self.error(FixErrorReason.MISSING_TAG, f"required tag {tag} missing", tag)
        return value

    def require_str(self, tag: int) -> str:
        """Return the value of a required ``tag`` as text (raises like :meth:`require`)."""
        return self.require(tag).decode("latin-1")

    def require_int(self, tag: int) -> int:
        """Return the value of a required ``tag`` as an int (raises like :meth:`require`, :meth:`get_int`)."""
        self.require(tag)
        return self.get_int(tag)

    def error(self, reason: FixErrorReason, detail: str, tag: int = 0) -> FixParseError:
        """Build a FixParseError about this message (names its type and sequence number)."""
        return fix_error(
            reason,
            f"{detail} (MsgType {self.msg_type}, MsgSeqNum {self.msg_seq_num})",
            tag=tag,
            msg_seq_num=self.msg_seq_num,
            msg_type=self.msg_type,
        )


def _diagnose_body(body: bytes, offset: int) -> FixParseError:
    """Find the first problem in a body that failed the fast well-formedness check (cold path)."""
    fields = body[:-1].split(SOH) if body.endswith(SOH) else body.split(SOH)
    seen: set[bytes] = set()
    seq = 0
    msg_type = ""
    for field in fields:
        tag, sep, value = field.partition(b"=")
        if tag == b"34" and value.isdigit():
            seq = int(value)
        elif tag == b"35":
            msg_type = value.decode("latin-1")
    for field in fields:
        tag, sep, value = field.partition(b"=")
        where = dict(msg_seq_num=seq, msg_type=msg_type, offset=offset)
        if not sep or not tag:
            return fix_error(
                FixErrorReason.MALFORMED_FIELD, f"field {field[:32]!r} is not tag=value", **where
            )
        if not tag.isdigit() or tag[0] == 0x30:
            return fix_error(
                FixErrorReason.NON_NUMERIC_TAG, f"tag {tag[:32]!r} is not a positive integer", **where
            )
        if not value:
            return fix_error(
                FixErrorReason.EMPTY_VALUE, f"tag {int(tag)} has no value", tag=int(tag), **where
            )
        if tag in seen:
            return fix_error(
                FixErrorReason.DUPLICATE_TAG, f"tag {int(tag)} appears more than once", tag=int(tag), **where
            )
        seen.add(tag)
    return fix_error(FixErrorReason.MALFORMED_FIELD, "body is empty or does not end with SOH", offset=offset)


def _parse_body(body: bytes, raw: bytes, offset: int) -> FixMessage:
    """Parse the fields between BodyLength and CheckSum; ``body`` ends with SOH."""
    if _WELL_FORMED_BODY(body) is None:
        raise _diagnose_body(body, offset)
    parts = body[:-1].split(SOH)
    fields = {int(tag): value for tag, value in [p.split(b"=", 1) for p in parts]}
    if len(fields) != len(parts):
        raise _diagnose_body(body, offset)
    first = parts[0]
    if first[:3] != b"35=":
        raise fix_error(
            FixErrorReason.TAG_OUT_OF_ORDER, "MsgType (35) must be the third field", tag=35, offset=offset
        )
    msg_type = first[3:].decode("latin-1")
    seq = fields.get(34)
    if seq is None:
        raise fix_error(
            FixErrorReason.MISSING_TAG,
            f"required tag 34 missing (MsgType {msg_type})",
            tag=34,
            msg_type=msg_type,
            offset=offset,
        )
    if not seq.isdigit() or len(seq) > _MAX_INT_DIGITS:
        raise fix_error(
            FixErrorReason.BAD_VALUE,
            f"MsgSeqNum (34) must be a positive integer, got {seq!r}",
            tag=34,
            msg_type=msg_type,
            offset=offset,
        )
    msg_seq_num = int(seq)
    for tag in _HEADER_TAGS:
        if tag not in fields:
            raise fix_error(
                FixErrorReason.MISSING_TAG,
                f"required tag {tag} missing (MsgType {msg_type}, MsgSeqNum {msg_seq_num})",
                tag=tag,
                msg_seq_num=msg_seq_num,
                msg_type=msg_type,
                offset=offset,
            )
    return FixMessage(msg_type, msg_seq_num, raw, fields)


def decode_message(raw: bytes, begin_string: str = "FIX.4.4") -> FixMessage:
    """Decode exactly one complete FIX message.

    Raises:
        FixParseError: any framing or field problem, or bytes left over after the message.
    """
    framer = FixFramer(begin_string=begin_string, max_body_length=max(len(raw), 1))
    out = framer.feed(raw)
    if len(out) == 1 and framer.buffered == 0 and out[0].__class__ is FixMessage:
        return out[0]
    for item in out:
        if item.__class__ is not FixMessage:
            raise item
    raise fix_error(
        FixErrorReason.BAD_BODY_LENGTH,
        f"expected one complete message, got {len(out)} and {framer.buffered} bytes left over",
    )


def _partial_start_len(buf: bytearray) -> int:
    """Return how many trailing bytes of ``buf`` could be the start of ``8=FIX``."""
    for k in range(len(_MESSAGE_START) - 1, 0, -1):
        if buf.endswith(_MESSAGE_START[:k]):
            return k
    return 0


class FixFramer:
    """Split a TCP byte stream into FIX messages, checking BodyLength and CheckSum.

    Complete, well-formed messages are framed and parsed by the compiled happy path
    (``_fastfix.frame``); it stops before anything else, which the Python code below handles and
    reports. The two give the same messages (``tests/unit/net/test_fastfix.py``).

    Args:
        begin_string: the only BeginString (8) accepted.
        max_body_length: frames declaring a longer body are refused (bounds the buffer).
        compiled: use the compiled happy path (False: pure Python, the specification).
    """

    __slots__ = ("_buf", "_begin", "_max_body", "_consumed", "_is_resyncing", "_fast")

    def __init__(
        self, begin_string: str = "FIX.4.4", max_body_length: int = 65_536, compiled: bool = True
    ) -> None:
        self._buf = bytearray()
        self._begin = begin_string.encode("ascii")
        self._max_body = max_body_length
        self._consumed = 0  # stream offset of _buf[0]
        self._is_resyncing = False  # swallow the rest of a broken frame without a second error
        self._fast = _fastfix.frame if compiled else None

    @property
    def buffered(self) -> int:
        """Return the number of bytes held waiting for the rest of a message."""
        return len(self._buf)

    def feed(self, data: bytes) -> list[FixMessage | FixParseError]:
        """Add ``data`` and return the complete messages and refused frames, in stream order.

        Never raises for bad input: a refused frame is returned as a FixParseError (see
        :func:`fix_error` for its attributes) and framing resumes at the next ``8=FIX``.
        """
        buf = self._buf
        buf += data
        out: list[FixMessage | FixParseError] = []
        pos = 0
        n = len(buf)
        fast = self._fast
        while pos < n:
            if fast is not None:
                messages, at = fast(buf, pos, n, self._begin, self._max_body, FixMessage)
                if messages:
                    out += messages
                    self._is_resyncing = False
                    pos = at
                    if pos >= n:
                        break
            if buf[pos] != 0x38 or buf[pos : pos + 5] != _MESSAGE_START:  # 0x38 is "8"
                if n - pos < 5 and _MESSAGE_START.startswith(buf[pos:]):
                    break  # maybe the start of a message: wait for more
                pos = self._skip_garbage(pos, out)
                continue
            step = self._frame(pos, n, out)
            if step == 0:
                break
            pos = step
        if pos:
            del buf[:pos]
            self._consumed += pos
        return out

    def _skip_garbage(self, pos: int, out: list) -> int:
        buf = self._buf
        start = buf.find(_MESSAGE_START, pos + 1)
        if start < 0:
            start = len(buf) - _partial_start_len(buf)
        if not self._is_resyncing:
            out.append(
                fix_error(
                    FixErrorReason.GARBAGE,
                    f"skipped {start - pos} bytes before 8=FIX",
                    offset=self._consumed + pos,
                )
            )
        self._is_resyncing = False
        return start

    def _refuse(self, pos: int, out: list, reason: FixErrorReason, detail: str) -> int:
        """Report a frame that cannot be delimited and resynchronise after its ``8=``."""
        out.append(fix_error(reason, detail, offset=self._consumed + pos))
        self._is_resyncing = True
        return pos + 1

    def _has_trailer_before(self, start: int, stop: int, n: int) -> bool:
        """Return True when a complete ``<SOH>10=nnn<SOH>`` starts in ``buf[start:stop]``.

        Tag 10 is only ever the trailer, so one found before the declared end proves BodyLength
        too large: refusing now, rather than waiting for bytes that may never come, frees the
        messages behind it.
        """
        buf = self._buf
        k = buf.find(b"\x0110=", start, stop)
        while k >= 0:
            if k + 8 <= n and buf[k + 7] == 1 and buf[k + 4 : k + 7].isdigit():
                return True
            k = buf.find(b"\x0110=", k + 1, stop)
        return False

    def _frame(self, pos: int, n: int, out: list) -> int:
        """Handle the frame starting at ``pos``; return where the next one starts, or 0 to wait."""
        buf = self._buf
        soh = buf.find(SOH, pos, pos + 32)
        if soh < 0:
            if n - pos < 32:
                return 0
            return self._refuse(
                pos, out, FixErrorReason.BAD_BEGIN_STRING, "BeginString (8) is not terminated"
            )
        if n < soh + 3:
            return 0
        if buf[soh + 1 : soh + 3] != b"9=":
            return self._refuse(
                pos, out, FixErrorReason.BAD_BODY_LENGTH, "BodyLength (9) must be the second field"
            )
        length_end = buf.find(SOH, soh + 3, soh + 13)
        if length_end < 0:
            if n - soh < 13:
                return 0
            return self._refuse(pos, out, FixErrorReason.BAD_BODY_LENGTH, "BodyLength (9) has over 9 digits")
        digits = bytes(buf[soh + 3 : length_end])
        if not digits.isdigit():
            return self._refuse(pos, out, FixErrorReason.BAD_BODY_LENGTH, f"BodyLength (9) is {digits!r}")
        body_length = int(digits)
        if body_length > self._max_body:
            return self._refuse(
                pos,
                out,
                FixErrorReason.MESSAGE_TOO_LARGE,
                f"BodyLength {body_length} exceeds the limit of {self._max_body}",
            )
        end = length_end + 1 + body_length  # first byte of "10="
        if self._has_trailer_before(length_end, min(n, end - 1), n):
            return self._refuse(
                pos,
                out,
                FixErrorReason.BAD_BODY_LENGTH,
                f"BodyLength {body_length} runs past this message's CheckSum",
            )
        if n < end + 7:
            return 0
        if buf[end - 1] != 1 or buf[end : end + 3] != b"10=" or buf[end + 6] != 1:
            return self._refuse(
                pos,
                out,
                FixErrorReason.BAD_BODY_LENGTH,
                f"BodyLength {body_length} does not end at <SOH>10=nnn<SOH>",
            )
        raw = bytes(buf[pos : end + 7])
        self._is_resyncing = False
        offset = self._consumed + pos
        declared = raw[-4:-1]
        checksum = _byte_sum(raw[: end - pos]) & 0xFF
        if not declared.isdigit() or int(declared) != checksum:
            out.append(
                fix_error(
                    FixErrorReason.BAD_CHECKSUM,
                    f"CheckSum (10) is {declared!r}, computed {checksum:03d}",
                    tag=10,
                    offset=offset,
                )
            )
        elif raw[2 : soh - pos] != self._begin:
            out.append(
                fix_error(
                    FixErrorReason.BAD_BEGIN_STRING,
                    f"BeginString {raw[2 : soh - pos]!r}, expected {self._begin!r}",
                    tag=8,
                    offset=offset,
                )
            )
        else:
            try:
                out.append(_parse_body(raw[length_end + 1 - pos : end - pos], raw, offset))
            except FixParseError as e:
                out.append(e)
        return end + 7
