"""Shared FIX test material: a naive independent framer for hand-made messages, and constants."""

from __future__ import annotations

#: 2024-01-02 13:14:15.123456789 UTC: 1704153600 s is 2024-01-02 00:00:00, plus 13 h 14 min 15 s
TS_NS = (1_704_153_600 + 13 * 3600 + 14 * 60 + 15) * 1_000_000_000 + 123_456_789
TS_TEXT = "20240102-13:14:15.123"  # milliseconds truncated


def frame(
    body: str | bytes,
    *,
    begin: bytes = b"FIX.4.4",
    body_length: int | None = None,
    checksum: int | None = None,
) -> bytes:
    """Wrap ``body`` (``|`` stands for SOH) in 8/9 and 10, computing 9 and 10 naively unless given."""
    data = body.encode("ascii") if isinstance(body, str) else body
    data = data.replace(b"|", b"\x01")
    head = (
        b"8=" + begin + b"\x019=" + str(len(data) if body_length is None else body_length).encode() + b"\x01"
    )
    total = 0
    for byte in head + data:
        total += byte
    value = total % 256 if checksum is None else checksum
    return head + data + b"10=" + str(value).zfill(3).encode() + b"\x01"


def header(msg_type: str, seq: int, sender: str = "CLIENT", target: str = "VENUE") -> str:
    """Return the standard header fields after BodyLength, ``|``-separated."""
    return f"35={msg_type}|49={sender}|56={target}|34={seq}|52={TS_TEXT}|"


def bars(data: bytes) -> bytes:
    """Show SOH as ``|`` (for readable assertions)."""
    return data.replace(b"\x01", b"|")
