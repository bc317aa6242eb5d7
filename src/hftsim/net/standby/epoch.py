"""Epochs (fencing terms) and the rules deciding who may act as primary. Cold path.

Single-host assumptions (see ``docs/failover.md``): the primary and its standby run on one machine
and share a **fence file**, a small file holding the highest epoch any node has taken over with.
Taking over is: lock the fence file (``flock``), read it, write ``max(...) + 1``, fsync, unlock, and
only then open the FIX port. A primary compares the fence file with its own epoch before it releases
any output and on every timer tick; a higher fence means another node has taken over and the primary
steps down without releasing anything more. Replication messages carry the epoch too, so a primary
that hears a higher epoch from a peer steps down even without the shared file.

The pure functions here are the rules; :class:`EpochFile` persists a node's own epoch beside its journal.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from hftsim.core.errors import ConfigError

__all__ = [
    "EpochFile",
    "FenceFile",
    "is_stale",
    "may_serve",
    "may_take_over",
    "next_epoch",
    "primary_must_step_down",
    "standby_accepts_primary",
]


def primary_must_step_down(own_epoch: int, seen_epoch: int) -> bool:
    """A primary that sees a higher epoch (in a message or the fence file) must stop at once."""
    return seen_epoch > own_epoch


def standby_accepts_primary(own_epoch: int, primary_epoch: int) -> bool:
    """A standby follows only a primary whose epoch is at least its own."""
    return primary_epoch >= own_epoch


def is_stale(epoch: int, fence_epoch: int) -> bool:
    """A node whose epoch is below the fence has been superseded."""
    return epoch < fence_epoch


def may_serve(own_epoch: int, fence_epoch: int) -> bool:
    """A primary may accept orders and release acknowledgements only while not superseded."""
    return own_epoch >= fence_epoch


def may_take_over(*, is_sync: bool, silent_ns: int, timeout_ns: int) -> bool:
    """A standby takes over only once synchronous (it holds every acknowledged command) and only
    after the primary has been silent for the whole heartbeat timeout."""
    return is_sync and silent_ns >= timeout_ns


def next_epoch(own_epoch: int, primary_epoch: int, fence_epoch: int) -> int:
    """The epoch of a takeover: above every epoch this node has seen."""
    return max(own_epoch, primary_epoch, fence_epoch) + 1


def _write_int_atomically(path: Path, value: int) -> None:
    tmp = path.with_name(path.name + ".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
    try:
        os.write(fd, f"{value}\n".encode())
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)
    dfd = os.open(path.parent, os.O_RDONLY)
    try:
        os.fsync(dfd)
    finally:
        os.close(dfd)


def _read_int(path: Path) -> int:
    try:
        text = path.read_text().strip()
    except FileNotFoundError:
        return 0
    if not text.isdigit():
        raise ConfigError(f"{path}: expected an epoch number, found {text[:40]!r}; fix or delete the file")
    return int(text)


class EpochFile:
    """A node's own epoch, persisted as ``epoch`` in its venue directory."""

    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.path = Path(directory) / "epoch"

    def read(self) -> int:
        """The stored epoch (0 when none)."""
        return _read_int(self.path)

    def write(self, epoch: int) -> None:
        """Persist ``epoch`` (atomic, fsynced)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        _write_int_atomically(self.path, epoch)


class FenceFile:
    """The shared fencing token: the highest epoch any node took over with (0 when missing).

    :meth:`read` is cheap when nothing changed (one ``stat``), so a primary may call it before every
    release of output.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._cached = (-1, 0)  # (mtime_ns, epoch)

    def read(self) -> int:
        """The fence epoch."""
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except FileNotFoundError:
            return 0
        if mtime != self._cached[0]:
            self._cached = (mtime, _read_int(self.path))
        return self._cached[1]

    def advance(self, epoch: int) -> int:
        """Raise the fence to ``epoch`` under an exclusive lock; return the fence after the call.

        The fence never goes down: when it is already at or above ``epoch`` it is left alone and
        the higher value returned (the caller lost the race and must not serve).
        """
        self.path.parent.mkdir(parents=True, exist_ok=True)
        lock = os.open(self.path.with_name(self.path.name + ".lock"), os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(lock, fcntl.LOCK_EX)
            current = _read_int(self.path)
            if current >= epoch:
                return current
            _write_int_atomically(self.path, epoch)
            return epoch
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
            os.close(lock)
