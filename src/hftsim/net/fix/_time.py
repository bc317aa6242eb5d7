"""FIX UTCTimestamp formatting and parsing from integer ns. Hot path (SendingTime on every message).

Time is always passed in: nothing here reads a clock.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import lru_cache

from hftsim.net.fix._fastfix import parse_utc as _parse_utc_fast

__all__ = ["format_utc_timestamp", "parse_utc_timestamp"]

_EPOCH = date(1970, 1, 1)


@lru_cache(maxsize=8)
def _date_text(day: int) -> str:
    return (_EPOCH + timedelta(days=day)).strftime("%Y%m%d")


_last_formatted: tuple[int, str] = (-1, "")  # (ms since the epoch, text): messages in one ms share it


def format_utc_timestamp(ts_ns: int) -> str:
    """Format ``ts_ns`` (ns since the Unix epoch, UTC) as FIX UTCTimestamp ``YYYYMMDD-HH:MM:SS.sss``.

    The caller passes the time in: the codec never reads a clock. Milliseconds are truncated.

    Raises:
        ValueError: ``ts_ns`` is negative.
    """
    global _last_formatted
    if ts_ns < 0:
        raise ValueError(f"timestamp must be >= 0 ns since the epoch, got {ts_ns}")
    total_ms = ts_ns // 1_000_000
    last_ms, text = _last_formatted  # one tuple read: safe if threads share the cache
    if total_ms == last_ms:
        return text
    day, ms = divmod(total_ms, 86_400_000)
    s, ms = divmod(ms, 1000)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    text = f"{_date_text(day)}-{h:02d}:{m:02d}:{s:02d}.{ms:03d}"
    _last_formatted = (total_ms, text)
    return text


_FRACTION_SCALE = {0: 0, 4: 1_000_000, 7: 1_000, 10: 1}  # len(".sss") -> ns per unit


def parse_utc_timestamp(value: bytes | str) -> int:
    """Parse FIX UTCTimestamp ``YYYYMMDD-HH:MM:SS[.sss|.ssssss|.sssssssss]`` into ns since the epoch.

    Raises:
        ValueError: the text is not in that form or names an impossible date or time.
    """
    if value.__class__ is bytes:
        ns = _parse_utc_fast(value)  # the compiled happy path; None sends any doubt down the Python path
        if ns is not None:
            return ns
    return _parse_utc_python(value)


def _parse_utc_python(value: bytes | str) -> int:
    """:func:`parse_utc_timestamp` in Python: the specification of the compiled happy path."""
    text = value.decode("ascii", "replace") if isinstance(value, (bytes, bytearray)) else value
    frac = text[17:]
    if (
        len(text) < 17
        or text[8] != "-"
        or text[11] != ":"
        or text[14] != ":"
        or len(frac) not in _FRACTION_SCALE
        or (frac and (frac[0] != "." or not frac[1:].isdigit() or not frac[1:].isascii()))
    ):
        raise ValueError(f"expected YYYYMMDD-HH:MM:SS[.sss], got {text!r}")
    digits = text[:8] + text[9:11] + text[12:14] + text[15:17]
    if not (digits.isdigit() and digits.isascii()):
        raise ValueError(f"expected YYYYMMDD-HH:MM:SS[.sss], got {text!r}")
    h, m, s = int(text[9:11]), int(text[12:14]), int(text[15:17])
    if h > 23 or m > 59 or s > 60:  # 60: a leap second is legal in UTCTimestamp
        raise ValueError(f"time of day out of range in {text!r}")
    day = date(int(text[:4]), int(text[4:6]), int(text[6:8])).toordinal() - _EPOCH.toordinal()
    fraction_ns = int(frac[1:]) * _FRACTION_SCALE[len(frac)] if frac else 0
    return (day * 86_400 + h * 3600 + m * 60 + s) * 1_000_000_000 + fraction_ns
