"""Checkpoints of the whole venue state, and the shadow process that writes them. Cold path.

A checkpoint is the engine snapshot (every resting order, the id counters), the sequence number it
is valid at (the state after applying that command), and the callers' extra component state (FIX
session seqs, feed seq...) as msgpack bytes. It lets recovery start near the end of the journal
instead of replaying it from the start.

File ``checkpoint-<seq:020d>.hfc`` (names sort in seq order), little-endian::

    offset  size  field
    0       8     magic            b"HFTSCKPT"
    8       2     format_version   u16 (CHECKPOINT_VERSION)
    10      2     header_bytes     u16 (64)
    12      4     flags            u32, 0
    16      8     seq              i64, the last command applied
    24      8     run_seed         u64
    32      8     body_bytes       u64
    40      4     body_crc         u32, zlib.crc32 of the body
    44      16    reserved         zeros
    60      4     header_crc       u32, zlib.crc32 of bytes 0..59
    64      ...   body: msgpack of :class:`CheckpointBody`

A checkpoint is written atomically (temporary name, fsync, rename, directory fsync), so a crash
leaves either the old set of checkpoints or the old set plus the new one, never half a file under
a final name. A file damaged later (disk, operator) fails its CRC and recovery skips it loudly.

**Never stall the engine.** :class:`ShadowCheckpointer` runs a second, identical engine in a
separate process that tails the journal files (only whole records whose CRC checks) and writes
checkpoints from its own state. The primary only writes a ~50-byte request into a pipe (a
non-blocking ``os.write``). A thread would not do: the compiled core holds the GIL while it
matches, so a shadow thread would stall the primary for whole batches. ``docs/durability.md``
compares this with taking ``snapshot()`` in the engine thread.
"""

from __future__ import annotations

import argparse
import hashlib
import logging
import os
import re
import select
import struct
import sys
import zlib
from collections.abc import Sequence
from pathlib import Path

import msgspec
import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, L3_DTYPE
from hftsim.core.enums import StpMode
from hftsim.core.errors import ConfigError, JournalCorrupt, JournalError
from hftsim.core.instrument import Instrument
from hftsim.journal._format import COMMAND_FRAME_BYTES, HEADER_BYTES, decode_header, list_segments
from hftsim.journal._frame import count_valid_frames, first_seq_gap
from hftsim.matching.engine import EngineSnapshot, MatchingEngine

__all__ = [
    "CHECKPOINT_VERSION",
    "CheckpointBody",
    "CheckpointInfo",
    "RetentionPolicy",
    "ShadowCheckpointer",
    "VenueManifest",
    "apply_retention",
    "checkpoint_name",
    "instruments_digest",
    "list_checkpoints",
    "read_checkpoint",
    "read_manifest",
    "write_checkpoint",
    "write_manifest",
]

log = logging.getLogger("hftsim.journal")

CHECKPOINT_MAGIC = b"HFTSCKPT"
CHECKPOINT_VERSION = 1
CHECKPOINT_HEADER_BYTES = 64
MANIFEST_NAME = "venue.json"
MANIFEST_FORMAT = "hftsim-venue"
MANIFEST_VERSION = 1
_HEADER = struct.Struct("<8sHHIqQQI16x")
_HEADER_CRC = struct.Struct("<I")
_NAME = re.compile(r"^checkpoint-(\d{20})\.hfc$")
assert _HEADER.size + _HEADER_CRC.size == CHECKPOINT_HEADER_BYTES


# ---------------------------------------------------------------- the venue manifest


class VenueManifest(msgspec.Struct, frozen=True, kw_only=True):
    """What recovery needs to rebuild the engine: written once as ``venue.json`` beside the journal.

    Attributes:
        format: always ``"hftsim-venue"``.
        version: manifest format version.
        run_seed: the run seed (also in every journal segment header).
        stp_mode: self-trade prevention mode of the engine.
        first_seq: the seq of the first command of the run.
        instruments: the symbols with their bands, lot and tick.
    """

    format: str = MANIFEST_FORMAT
    version: int = MANIFEST_VERSION
    run_seed: int
    stp_mode: int
    first_seq: int = 1
    instruments: tuple[Instrument, ...]


def instruments_digest(instruments: Sequence[Instrument], stp_mode: int) -> str:
    """Hash the instrument set and the STP mode: a checkpoint only fits the engine it came from."""
    payload = msgspec.json.encode({"instruments": list(instruments), "stp_mode": int(stp_mode)})
    return hashlib.blake2b(payload, digest_size=16).hexdigest()


def write_manifest(directory: Path, manifest: VenueManifest) -> None:
    """Write ``venue.json`` atomically (temporary name, fsync, rename, directory fsync)."""
    _write_atomically(directory / MANIFEST_NAME, msgspec.json.format(msgspec.json.encode(manifest)))


def read_manifest(directory: Path) -> VenueManifest:
    """Read and check ``venue.json``.

    Raises:
        JournalError: the file is missing, not a venue manifest, or of another version.
    """
    path = Path(directory) / MANIFEST_NAME
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise JournalError(
            f"{path} is missing: {directory} is not a journaled venue directory "
            "(expected venue.json, journal/ and checkpoints/)"
        ) from None
    try:
        manifest = msgspec.json.decode(data, type=VenueManifest)
    except (msgspec.ValidationError, msgspec.DecodeError, ConfigError) as e:
        raise JournalError(f"{path}: not a valid venue manifest: {e}") from e
    if manifest.format != MANIFEST_FORMAT or manifest.version != MANIFEST_VERSION:
        raise JournalError(
            f"{path}: manifest {manifest.format!r} version {manifest.version} found, this "
            f"hftsim reads {MANIFEST_FORMAT!r} version {MANIFEST_VERSION}"
        )
    return manifest


# ---------------------------------------------------------------- checkpoint files


class CheckpointBody(msgspec.Struct, frozen=True, kw_only=True):
    """The msgpack body of a checkpoint file.

    Attributes:
        seq: the last command applied to this state.
        run_seed: the run seed.
        instruments_digest: :func:`instruments_digest` of the engine's instruments and STP mode.
        next_order_id: the engine's next order id.
        next_exec_id: the engine's next execution id.
        books: each symbol's resting orders as raw L3_DTYPE bytes, in priority order.
        extra_state: the callers' component state (msgpack bytes of a dict; empty when none).
        state_digest: :meth:`MatchingEngine.digest` of this state, checked again on load.
    """

    seq: int
    run_seed: int
    instruments_digest: str
    next_order_id: int
    next_exec_id: int
    books: tuple[bytes, ...]
    extra_state: bytes = b""
    state_digest: str = ""


class CheckpointInfo(msgspec.Struct, frozen=True, kw_only=True):
    """A checkpoint file found in a directory (not yet checked)."""

    seq: int
    path: Path


def checkpoint_name(seq: int) -> str:
    """Return the file name of the checkpoint valid at ``seq``; names sort in seq order."""
    return f"checkpoint-{seq:020d}.hfc"


def list_checkpoints(directory: Path) -> list[CheckpointInfo]:
    """Return the checkpoint files of ``directory`` in seq order (temporary files are ignored)."""
    directory = Path(directory)
    if not directory.is_dir():
        return []
    found = [
        CheckpointInfo(seq=int(m.group(1)), path=p) for p in directory.iterdir() if (m := _NAME.match(p.name))
    ]
    return sorted(found, key=lambda info: info.seq)


def write_checkpoint(
    directory: Path, seq: int, run_seed: int, engine: MatchingEngine, extra_state: dict | None = None
) -> Path:
    """Write the state of ``engine`` (valid at ``seq``) as a checkpoint, atomically.

    The caller must make sure the journal is durable up to ``seq`` first, or a power loss could
    leave a checkpoint ahead of the journal.

    Args:
        directory: the checkpoint directory (created if missing).
        seq: the last command applied to ``engine``.
        run_seed: the run seed.
        engine: the engine whose state to save (not modified).
        extra_state: callers' component state, msgpack-encodable.

    Returns:
        The checkpoint's path.
    """
    snapshot = engine.snapshot()
    body = CheckpointBody(
        seq=int(seq),
        run_seed=int(run_seed),
        instruments_digest=instruments_digest(engine.instruments, engine.stp_mode),
        next_order_id=snapshot.next_order_id,
        next_exec_id=snapshot.next_exec_id,
        books=tuple(book.tobytes() for book in snapshot.books),
        extra_state=msgspec.msgpack.encode(extra_state) if extra_state else b"",
        state_digest=engine.digest(),
    )
    encoded = msgspec.msgpack.encode(body)
    header = _HEADER.pack(
        CHECKPOINT_MAGIC,
        CHECKPOINT_VERSION,
        CHECKPOINT_HEADER_BYTES,
        0,
        int(seq),
        int(run_seed),
        len(encoded),
        zlib.crc32(encoded),
    )
    header += _HEADER_CRC.pack(zlib.crc32(header))
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / checkpoint_name(seq)
    _write_atomically(path, header + encoded)
    return path


def read_checkpoint(path: Path) -> CheckpointBody:
    """Read and check one checkpoint file.

    Raises:
        JournalError: not a checkpoint file, or of another format version.
        JournalCorrupt: partial or damaged (header or body CRC); the message names file and offset.
    """
    path = Path(path)
    data = path.read_bytes()
    if len(data) < CHECKPOINT_HEADER_BYTES:
        raise JournalCorrupt(
            f"{path}: partial checkpoint: {len(data)} bytes, the header alone is {CHECKPOINT_HEADER_BYTES}"
        )
    magic, version, header_bytes, _, seq, run_seed, body_bytes, body_crc = _HEADER.unpack_from(data)
    if magic != CHECKPOINT_MAGIC:
        raise JournalError(
            f"{path}: not an hftsim checkpoint: magic is {magic!r}, expected {CHECKPOINT_MAGIC!r}"
        )
    if version != CHECKPOINT_VERSION:
        raise JournalError(
            f"{path}: checkpoint format version {version} found, this hftsim reads "
            f"version {CHECKPOINT_VERSION}"
        )
    (stored,) = _HEADER_CRC.unpack_from(data, _HEADER.size)
    if stored != zlib.crc32(data[: _HEADER.size]) or header_bytes != CHECKPOINT_HEADER_BYTES:
        raise JournalCorrupt(f"{path}: checkpoint header CRC mismatch at byte offset {_HEADER.size}")
    body = memoryview(data)[CHECKPOINT_HEADER_BYTES:]
    if len(body) != body_bytes:
        raise JournalCorrupt(
            f"{path}: partial checkpoint: body is {len(body)} bytes at byte offset "
            f"{CHECKPOINT_HEADER_BYTES}, the header says {body_bytes}"
        )
    if zlib.crc32(body) != body_crc:
        raise JournalCorrupt(
            f"{path}: checkpoint body CRC mismatch (body at byte offset "
            f"{CHECKPOINT_HEADER_BYTES}, {body_bytes} bytes)"
        )
    try:
        decoded = msgspec.msgpack.decode(body, type=CheckpointBody)
    except (msgspec.ValidationError, msgspec.DecodeError) as e:
        raise JournalCorrupt(
            f"{path}: checkpoint body at byte offset {CHECKPOINT_HEADER_BYTES} does not decode: {e}"
        ) from e
    if decoded.seq != seq or decoded.run_seed != run_seed or path.name != checkpoint_name(seq):
        raise JournalCorrupt(
            f"{path}: header says seq {seq} run seed {run_seed}, body says seq "
            f"{decoded.seq} run seed {decoded.run_seed}; the name must be {checkpoint_name(seq)}"
        )
    return decoded


def engine_from_checkpoint(
    body: CheckpointBody, manifest: VenueManifest, path: Path, impl: str = "fast"
) -> MatchingEngine:
    """Rebuild the engine a checkpoint describes, checking it belongs to this venue.

    Raises:
        JournalError: the checkpoint is of another run seed or instrument set.
        JournalCorrupt: the restored state does not have the digest recorded in the checkpoint.
    """
    if body.run_seed != manifest.run_seed:
        raise JournalError(
            f"{path}: checkpoint of run seed {body.run_seed}, the venue's run seed is "
            f"{manifest.run_seed}; it belongs to another run: move it out of the directory"
        )
    expected = instruments_digest(manifest.instruments, manifest.stp_mode)
    if body.instruments_digest != expected:
        raise JournalError(
            f"{path}: checkpoint of another instrument set or STP mode (digest "
            f"{body.instruments_digest}, the venue's is {expected}); move it out of the directory"
        )
    books = tuple(np.frombuffer(raw, dtype=L3_DTYPE) for raw in body.books)
    snapshot = EngineSnapshot(next_order_id=body.next_order_id, next_exec_id=body.next_exec_id, books=books)
    try:
        engine = MatchingEngine.from_snapshot(
            manifest.instruments, snapshot, StpMode(manifest.stp_mode), impl
        )
    except ConfigError as e:
        raise JournalCorrupt(f"{path}: checkpoint state does not load: {e}") from e
    if body.state_digest and engine.digest() != body.state_digest:
        raise JournalCorrupt(
            f"{path}: restored state digest {engine.digest()} differs from the recorded {body.state_digest}"
        )
    return engine


class RetentionPolicy(msgspec.Struct, frozen=True, kw_only=True):
    """Which checkpoints to keep.

    Attributes:
        keep_last: keep the newest ``keep_last`` checkpoints (at least 1).
        keep_every_seq: also keep, for every ``keep_every_seq`` seqs, the first checkpoint at or
            after each multiple (0 disables): a sparse history for audits.
    """

    keep_last: int = 3
    keep_every_seq: int = 0

    def __post_init__(self) -> None:
        if self.keep_last < 1:
            raise ConfigError(f"retention.keep_last: expected >= 1, got {self.keep_last}")
        if self.keep_every_seq < 0:
            raise ConfigError(f"retention.keep_every_seq: expected >= 0, got {self.keep_every_seq}")


def apply_retention(directory: Path, policy: RetentionPolicy) -> list[Path]:
    """Delete the checkpoints ``policy`` does not keep; return the deleted paths."""
    found = list_checkpoints(directory)
    keep = {info.seq for info in found[-policy.keep_last :]}
    if policy.keep_every_seq:
        buckets: set[int] = set()
        for info in found:
            bucket = info.seq // policy.keep_every_seq
            if bucket not in buckets:
                buckets.add(bucket)
                keep.add(info.seq)
    deleted = []
    for info in found:
        if info.seq not in keep:
            info.path.unlink(missing_ok=True)
            deleted.append(info.path)
    if deleted:
        _fsync_directory(Path(directory))
    return deleted


def _write_atomically(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
    try:
        view = memoryview(data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    _fsync_directory(path.parent)


def _fsync_directory(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# ---------------------------------------------------------------- the shadow checkpointer


class _Request(msgspec.Struct, array_like=True):
    seq: int
    extra_state: bytes


class _Mailbox:
    """A ring of checkpoint requests in a shared file mapping, written by the primary, read by the shadow.

    Layout: ``written`` (u64) at byte 0, ``read`` (u64) at byte 8, then MAILBOX_SLOTS slots of
    MAILBOX_SLOT_BYTES, each a u32 length and a msgpack :class:`_Request`. A request is a memcpy
    into the mapping and one counter store: no system call, so the primary neither releases the
    GIL (which the journal writer thread could then hold for a whole switch interval) nor wakes
    the shadow. The writer stores the payload before the counter; x86-64 keeps stores in order.
    """

    def __init__(self, fd: int | None = None) -> None:
        import mmap

        size = 16 + MAILBOX_SLOTS * MAILBOX_SLOT_BYTES
        if fd is None:  # the primary: an anonymous memory file (no disk blocks to allocate on first write)
            self.fd = os.memfd_create("hftsim-checkpoint-requests", 0)
            os.ftruncate(self.fd, size)
        else:
            self.fd = fd
        self._map = mmap.mmap(self.fd, size)
        if fd is None:
            self._map.write(bytes(size))  # fault every page in now, not on a request

    def put(self, payload: bytes) -> bool:
        written, read = _COUNTERS.unpack_from(self._map, 0)
        if written - read >= MAILBOX_SLOTS:
            return False
        offset = 16 + (written % MAILBOX_SLOTS) * MAILBOX_SLOT_BYTES
        _LENGTH.pack_into(self._map, offset, len(payload))
        self._map[offset + 4 : offset + 4 + len(payload)] = payload
        _COUNTER.pack_into(self._map, 0, written + 1)
        return True

    def take(self) -> list[_Request]:
        written, read = _COUNTERS.unpack_from(self._map, 0)
        requests = []
        for number in range(read, written):
            offset = 16 + (number % MAILBOX_SLOTS) * MAILBOX_SLOT_BYTES
            (length,) = _LENGTH.unpack_from(self._map, offset)
            requests.append(
                msgspec.msgpack.decode(self._map[offset + 4 : offset + 4 + length], type=_Request)
            )
        _COUNTER.pack_into(self._map, 8, written)
        return requests

    def close(self) -> None:
        self._map.close()
        os.close(self.fd)


MAILBOX_SLOTS = 64
MAILBOX_SLOT_BYTES = 16 << 10
_COUNTERS = struct.Struct("<QQ")
_COUNTER = struct.Struct("<Q")
_LENGTH = struct.Struct("<I")


class ShadowCheckpointer:
    """Write checkpoints from a shadow engine in a separate process, so the primary never pauses.

    The shadow tails the venue's journal files, applies every whole, CRC-checked record to its own
    engine, and on each request writes a checkpoint at exactly the requested seq (after fsyncing the
    journal segments it read, so no checkpoint is ever ahead of the durable journal). The primary's
    whole cost is :meth:`request`: encoding a small message and one non-blocking pipe write. If the
    shadow is so far behind that the pipe is full, the request is dropped and counted in
    :attr:`dropped`; the next request carries newer state. The shadow exits when the pipe closes
    (the primary exited or crashed).
    """

    def __init__(
        self,
        venue_dir: str | os.PathLike[str],
        *,
        retention: RetentionPolicy = RetentionPolicy(),
        poll_ms: float = 2.0,
    ) -> None:
        """Start the shadow process.

        Args:
            venue_dir: the venue directory (``venue.json``, ``journal/``, ``checkpoints/``).
            retention: which checkpoints the shadow keeps.
            poll_ms: how often the shadow looks for new journal records when idle.
        """
        import subprocess

        self._dir = Path(venue_dir)
        self._mailbox = _Mailbox()
        # The pipe carries nothing: the shadow sees it close when the primary exits or crashes.
        read_fd, self._write_fd = os.pipe()
        self._status_fd, status_write_fd = os.pipe()
        os.set_blocking(self._write_fd, False)
        command = [
            sys.executable,
            "-c",
            "from hftsim.journal.checkpoint import _shadow_main; _shadow_main()",
            str(self._dir),
            str(read_fd),
            str(status_write_fd),
            str(self._mailbox.fd),
            str(retention.keep_last),
            str(retention.keep_every_seq),
            str(poll_ms),
        ]
        try:
            self._process = subprocess.Popen(
                command, pass_fds=(read_fd, status_write_fd, self._mailbox.fd), stdin=subprocess.DEVNULL
            )
        finally:
            os.close(read_fd)
            os.close(status_write_fd)
        self._is_ready = False
        self.dropped = 0
        self.requested = 0

    @property
    def pid(self) -> int:
        """The shadow process id."""
        return self._process.pid

    @property
    def is_alive(self) -> bool:
        """True while the shadow process runs."""
        return self._process.poll() is None

    def wait_ready(self, timeout_s: float = 30.0) -> bool:
        """Wait until the shadow has loaded its starting state and follows the journal.

        Returns:
            True when ready; False if ``timeout_s`` passed or the shadow exited first.
        """
        if not self._is_ready:
            ready, _, _ = select.select([self._status_fd], [], [], timeout_s)
            self._is_ready = bool(ready) and os.read(self._status_fd, 1) == b"R"
        return self._is_ready

    def request(self, seq: int, extra_state: dict | None = None) -> bool:
        """Ask for a checkpoint at ``seq`` carrying ``extra_state`` (the callers' state at ``seq``).

        Returns:
            False when the request was dropped (the shadow is behind and the pipe is full).
        """
        payload = msgspec.msgpack.encode(
            _Request(seq, msgspec.msgpack.encode(extra_state) if extra_state else b"")
        )
        if len(payload) + 4 > MAILBOX_SLOT_BYTES:
            raise ConfigError(
                f"checkpoint extra_state: {len(payload)} bytes encoded, at most "
                f"{MAILBOX_SLOT_BYTES - 4} fit a request"
            )
        if not self._mailbox.put(payload):
            self.dropped += 1
            return False
        self.requested += 1
        return True

    def close(self, timeout_s: float = 30.0) -> int:
        """Close the pipe; the shadow finishes pending checkpoints and exits. Returns its exit code.

        Raises:
            JournalError: the shadow did not exit within ``timeout_s``.
        """
        import subprocess

        if self._write_fd >= 0:
            os.close(self._write_fd)
            os.close(self._status_fd)
            self._write_fd = -1
        try:
            code = self._process.wait(timeout_s)
            self._mailbox.close()
            return code
        except subprocess.TimeoutExpired as e:
            raise JournalError(
                f"the shadow checkpointer (pid {self.pid}) did not exit within {timeout_s} s"
            ) from e

    def __enter__(self) -> ShadowCheckpointer:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class _JournalTail:
    """Follow a journal directory another process is writing; return only whole, checked records."""

    def __init__(self, journal_dir: Path, next_seq: int) -> None:
        self._dir = journal_dir
        self._next_seq = next_seq
        self._index = 0
        self._fd = -1
        self._offset = 0
        self._pending = b""
        self._read_paths: list[Path] = []
        # Start in the last segment that begins at or before next_seq: earlier ones hold nothing new.
        for index, path in list_segments(journal_dir):
            data = path.read_bytes()[:HEADER_BYTES]
            if len(data) == HEADER_BYTES and decode_header(data, path).first_seq <= next_seq:
                self._index = index - 1

    def poll(self) -> np.ndarray:
        """Return the records now visible after the last ones returned (possibly none)."""
        out = []
        while True:
            listed = list_segments(self._dir)
            if self._fd < 0 and not self._open_next(listed):
                break
            has_next_segment = any(i > self._index for i, _ in listed)
            chunk = os.pread(self._fd, 1 << 24, self._offset)
            self._offset += len(chunk)
            data = self._pending + chunk
            records, good = count_valid_frames(np.frombuffer(data, dtype=np.uint8))
            self._pending = data[good * COMMAND_FRAME_BYTES :]
            if good:
                out.append(self._new_records(records))
            if chunk:
                continue
            if has_next_segment and not self._pending:
                os.close(self._fd)
                self._fd = -1
                continue
            break
        return np.concatenate(out, dtype=COMMAND_DTYPE) if out else np.empty(0, dtype=COMMAND_DTYPE)

    def _open_next(self, listed: list[tuple[int, Path]]) -> bool:
        following = [(i, p) for i, p in listed if i > self._index]
        if not following:
            return False
        index, path = following[0]
        data = path.read_bytes()[:HEADER_BYTES]
        if len(data) < HEADER_BYTES or not any(data):
            return False  # the writer is creating it
        decode_header(data, path)
        self._index = index
        self._fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self._read_paths.append(path)
        self._offset = HEADER_BYTES
        self._pending = b""
        return True

    def _new_records(self, records: np.ndarray) -> np.ndarray:
        first = int(records["seq"][0])
        if first_seq_gap(records["seq"], first) >= 0 or first > self._next_seq:
            raise JournalCorrupt(
                f"{self._read_paths[-1]}: sequence gap near byte offset {self._offset}: "
                f"expected seq {self._next_seq}"
            )
        records = records[max(0, self._next_seq - first) :]
        self._next_seq += records.shape[0]
        return records

    def sync_read_segments(self) -> None:
        """Fsync the segments this tail read last, so every record it returned is durable."""
        for path in self._read_paths[-2:]:
            fd = os.open(path, os.O_RDONLY)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)


def _lower_priority() -> None:
    # The shadow must not take CPU from the primary when they share a core: SCHED_BATCH drops
    # wake-up preemption, and a positive nice value lowers its share.
    try:
        os.sched_setscheduler(0, os.SCHED_BATCH, os.sched_param(0))
    except (AttributeError, OSError):
        pass
    try:
        os.nice(5)
    except OSError:
        pass


def _shadow_main() -> None:
    parser = argparse.ArgumentParser(prog="hftsim-shadow-checkpointer")
    parser.add_argument("venue_dir", type=Path)
    parser.add_argument("fd", type=int)
    parser.add_argument("status_fd", type=int)
    parser.add_argument("mailbox_fd", type=int)
    parser.add_argument("keep_last", type=int)
    parser.add_argument("keep_every_seq", type=int)
    parser.add_argument("poll_ms", type=float)
    args = parser.parse_args(sys.argv[1:])
    retention = RetentionPolicy(keep_last=args.keep_last, keep_every_seq=args.keep_every_seq)
    try:
        shadow = _Shadow(args.venue_dir, args.fd, _Mailbox(args.mailbox_fd), retention, args.poll_ms)
        try:
            os.write(args.status_fd, b"R")
        except BrokenPipeError:
            pass  # nobody waits for readiness
        os.close(args.status_fd)
        shadow.run()
    except (JournalError, OSError) as e:  # outermost loop of the process: report and stop
        print(f"hftsim shadow checkpointer: {e}", file=sys.stderr)
        sys.exit(2)


class _Shadow:
    """The shadow process's loop: tail the journal, apply, write requested checkpoints."""

    def __init__(
        self, venue_dir: Path, fd: int, mailbox: _Mailbox, retention: RetentionPolicy, poll_ms: float
    ) -> None:
        from hftsim.journal.recovery import load_latest_checkpoint

        self._dir = venue_dir
        self._fd = fd
        self._retention = retention
        self._poll_s = poll_ms / 1000
        self._manifest = read_manifest(venue_dir)
        start = load_latest_checkpoint(venue_dir, self._manifest)
        self._engine = start.engine
        self._applied_seq = start.seq
        self._tail = _JournalTail(venue_dir / "journal", start.seq + 1)
        self._held = np.empty(0, dtype=COMMAND_DTYPE)
        self._requests: list[_Request] = []
        self._mailbox = mailbox
        self._is_open = True
        _lower_priority()

    def run(self) -> None:
        while True:
            if not self._held.shape[0]:
                self._held = self._tail.poll()
            # Read requests only after polling the journal: the primary sends the request for seq S
            # before it journals S+1, so any record past S we hold has its request in the pipe now.
            self._read_requests(0.0)
            has_progressed = self._apply_and_serve()
            if not self._is_open and not self._held.shape[0]:
                self._held = self._tail.poll()
                if not self._held.shape[0]:
                    break  # the primary is gone and the journal holds nothing more
                continue
            if not has_progressed:
                self._read_requests(self._poll_s)
        for request in self._requests:
            log.error(
                "shadow checkpointer: checkpoint at seq %d not written: the journal ends at seq %d",
                request.seq,
                self._applied_seq,
            )
        os.close(self._fd)

    def _read_requests(self, timeout_s: float) -> None:
        if self._is_open and timeout_s > 0:
            ready, _, _ = select.select([self._fd], [], [], timeout_s)
            if ready and not os.read(self._fd, 1):
                self._is_open = False
        self._requests.extend(self._mailbox.take())

    def _apply_and_serve(self) -> bool:
        records = self._held
        if self._requests and records.shape[0]:
            keep = max(0, self._requests[0].seq - int(records["seq"][0]) + 1)
            records, self._held = records[:keep], records[keep:]
        else:
            self._held = np.empty(0, dtype=COMMAND_DTYPE)
        for start in range(0, records.shape[0], 65536):
            self._engine.run_batch(records[start : start + 65536], reuse_buffer=True)
        if records.shape[0]:
            self._applied_seq = int(records["seq"][-1])
        served = False
        while self._requests and self._requests[0].seq <= self._applied_seq:
            request = self._requests.pop(0)
            if request.seq < self._applied_seq:
                log.error(
                    "shadow checkpointer: request for seq %d came after the shadow applied seq %d; skipped",
                    request.seq,
                    self._applied_seq,
                )
                continue
            self._tail.sync_read_segments()
            extra = msgspec.msgpack.decode(request.extra_state) if request.extra_state else None
            write_checkpoint(
                self._dir / "checkpoints", request.seq, self._manifest.run_seed, self._engine, extra
            )
            apply_retention(self._dir / "checkpoints", self._retention)
            served = True
        return served or bool(records.shape[0])
