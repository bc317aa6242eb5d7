"""Streaming reader of Nasdaq's binary ITCH 5.0 files. Cold path.

Nasdaq's daily files (``MMDDYYYY.NASDAQ_ITCH50``, usually gzipped) are a plain sequence of
messages, each prefixed by its length as a 2-byte big-endian integer. The reader holds one chunk
at a time, so files of many gigabytes stream in constant memory.
"""

from __future__ import annotations

import gzip
import os
from typing import BinaryIO, Iterator

from hftsim.core.errors import ProtocolError
from hftsim.net.itch.codec import MESSAGE_LENGTHS, ItchMessage, decode

__all__ = ["iter_itch_file", "iter_raw_messages", "open_itch_file"]


def open_itch_file(path: str | os.PathLike) -> BinaryIO:
    """Open an ITCH file for reading, decompressing it when its name ends in ``.gz``."""
    return gzip.open(path, "rb") if os.fspath(path).endswith(".gz") else open(path, "rb")


def iter_raw_messages(stream: BinaryIO, chunk_size: int = 1 << 20) -> Iterator[tuple[int, bytes]]:
    """Yield ``(offset, message)`` for each length-prefixed message of ``stream``.

    ``offset`` is the byte offset of the message's length prefix in the (decompressed) stream.

    Raises:
        ProtocolError: the stream ends inside a length prefix or a message; the text names the
            offset of the truncated record and how many bytes were missing.
    """
    if chunk_size < 2:
        raise ValueError(f"chunk_size must be at least 2, got {chunk_size}")
    buf = b""
    base = 0  # stream offset of buf[0]
    pos = 0
    while True:
        chunk = stream.read(chunk_size)
        if not chunk:
            break
        buf = buf[pos:] + chunk
        base += pos
        pos = 0
        end = len(buf)
        while pos + 2 <= end:
            length = buf[pos] << 8 | buf[pos + 1]
            stop = pos + 2 + length
            if stop > end:
                break
            yield base + pos, buf[pos + 2 : stop]
            pos = stop
    left = len(buf) - pos
    if left == 1:
        raise ProtocolError(
            f"truncated ITCH file: 1 byte at offset {base + pos}, expected a 2-byte length prefix"
        )
    if left:
        length = buf[pos] << 8 | buf[pos + 1]
        raise ProtocolError(
            f"truncated ITCH file: message at offset {base + pos} declares {length} bytes, "
            f"only {left - 2} present"
        )


def iter_itch_file(
    stream: BinaryIO, *, skip_unsupported: bool = True, chunk_size: int = 1 << 20
) -> Iterator[tuple[int, ItchMessage]]:
    """Yield ``(offset, record)`` for each message of an ITCH file that this codec decodes.

    Message types outside the ten of :mod:`hftsim.net.itch.codec` (trading actions, NOII, ...)
    are skipped when ``skip_unsupported`` is true.

    Raises:
        ProtocolError: a truncated file (see :func:`iter_raw_messages`), or a supported message of
            the wrong length, or (with ``skip_unsupported=False``) an unsupported type; the text
            names the byte offset.
    """
    supported = {t[0] for t in MESSAGE_LENGTHS}
    for offset, message in iter_raw_messages(stream, chunk_size):
        if message and message[0] not in supported and skip_unsupported:
            continue
        try:
            yield offset, decode(message)
        except ProtocolError as e:
            raise ProtocolError(f"at byte offset {offset}: {e}") from e
