"""One writer per journal directory, enforced with an advisory file lock. Cold path."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from hftsim.core.errors import JournalError

LOCK_NAME = "journal.lock"


def acquire_lock(directory: Path) -> int:
    """Take the directory's exclusive lock and return its file descriptor.

    Raises:
        JournalError: another process or writer object holds the lock.
    """
    path = directory / LOCK_NAME
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError as e:
        os.close(fd)
        raise JournalError(f"{directory}: another journal writer holds {path}; close it first") from e
    return fd


def release_lock(fd: int) -> None:
    """Release a lock taken by :func:`acquire_lock`."""
    fcntl.flock(fd, fcntl.LOCK_UN)
    os.close(fd)
