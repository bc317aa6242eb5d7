"""The FIX session log: what the journal cannot hold about each journaled command. Cold path.

The journal holds engine commands (64-byte records with integer ids). Recovering the FIX side needs
three more facts per command, written here before the command's journal record is committed:

* the request's ClOrdID (and OrigClOrdID) strings, so ExecutionReports and later cancels can name
  the order again;
* the request's inbound MsgSeqNum, so the recovered session expects the next one;
* the first outbound MsgSeqNum of the reports the command produced, per session, so a replay
  regenerates every report under its original MsgSeqNum and a ResendRequest is answered from it.

A :class:`Reservation` note records that no outbound MsgSeqNum at or above ``limit`` was used yet by a
session: a new primary starts each session there, above anything its predecessor sent (admin
messages included), and gap-fills what it cannot regenerate.

File format (``fix-sessions.log`` in the venue directory), a sequence of frames::

    u32 little-endian  body length
    u32 little-endian  zlib.crc32 of the body
    body               msgpack of a CommandNote or a Reservation

The standby receives the bytes verbatim, so both files are byte-identical prefixes of each other and
a byte offset names the same point in both.
"""

from __future__ import annotations

import os
import struct
import zlib
from pathlib import Path

import msgspec

__all__ = ["CommandNote", "NOTES_NAME", "Note", "Reservation", "SessionLog", "decode_notes", "encode_note"]

NOTES_NAME = "fix-sessions.log"
_HEAD = struct.Struct("<II")


class CommandNote(msgspec.Struct, frozen=True, array_like=True, tag=1):
    """The FIX side of the journaled command ``seq``."""

    seq: int
    session: int  # index of the requesting session in the configuration
    in_seq: int  # its MsgSeqNum
    cl_ord_id: str
    orig_cl_ord_id: str
    outs: list[tuple[int, int]]  # (session index, first outbound MsgSeqNum of this command's reports)


class Reservation(msgspec.Struct, frozen=True, array_like=True, tag=2):
    """Session ``session`` has sent no MsgSeqNum >= ``limit`` (written after journal seq ``seq``)."""

    seq: int
    session: int
    limit: int


Note = CommandNote | Reservation
_encoder = msgspec.msgpack.Encoder()
_decoder = msgspec.msgpack.Decoder(Note)


def encode_note(note: Note) -> bytes:
    """Return the frame of one note."""
    body = _encoder.encode(note)
    return _HEAD.pack(len(body), zlib.crc32(body)) + body


def decode_notes(data: bytes | memoryview) -> tuple[list[Note], int]:
    """Decode whole, intact frames from the start of ``data``; return them and the bytes used.

    Decoding stops at the first incomplete or damaged frame (a torn tail after a crash).
    """
    notes: list[Note] = []
    pos = 0
    view = memoryview(data)
    while len(view) - pos >= _HEAD.size:
        length, crc = _HEAD.unpack_from(view, pos)
        end = pos + _HEAD.size + length
        if end > len(view):
            break
        body = bytes(view[pos + _HEAD.size : end])
        if zlib.crc32(body) != crc:
            break
        try:
            notes.append(_decoder.decode(body))
        except msgspec.DecodeError:
            break
        pos = end
    return notes, pos


class SessionLog:
    """Append-only session log of a venue directory; truncates a torn tail when opened.

    Args:
        directory: the venue directory.
    """

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / NOTES_NAME
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
        data = os.pread(self._fd, os.fstat(self._fd).st_size, 0)
        self.notes, good = decode_notes(data)
        if good != len(data):
            os.ftruncate(self._fd, good)
            os.fsync(self._fd)
        self.size = good
        self._pending: list[bytes] = []
        self._synced = good

    @property
    def synced_size(self) -> int:
        """Bytes known to be fsynced."""
        return self._synced

    def add(self, note: Note) -> None:
        """Stage a note (written by :meth:`write`)."""
        self._pending.append(encode_note(note))

    def write(self) -> bytes:
        """Write the staged notes (to the OS: a process crash cannot lose them); return their bytes."""
        if not self._pending:
            return b""
        data = b"".join(self._pending)
        self._pending.clear()
        self.append_bytes(data)
        return data

    def append_bytes(self, data: bytes) -> None:
        """Append already-framed bytes (a standby copying its primary's log)."""
        view = memoryview(data)
        while view:
            n = os.pwrite(self._fd, view, self.size)
            self.size += n
            view = view[n:]

    def sync(self) -> None:
        """Fsync what was written."""
        if self._synced != self.size:
            os.fsync(self._fd)
            self._synced = self.size

    def read_from(self, offset: int) -> bytes:
        """Return the bytes from ``offset`` to the end of what was written."""
        return os.pread(self._fd, self.size - offset, offset) if offset < self.size else b""

    def close(self) -> None:
        """Fsync and close."""
        if self._fd >= 0:
            self.sync()
            os.close(self._fd)
            self._fd = -1
