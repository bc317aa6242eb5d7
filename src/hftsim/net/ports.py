"""Ports for processes that must be told theirs before they start. Cold path (edge: sockets).

A failover drill gives each slot fixed FIX and replication ports, because a replacement node takes
over its killed predecessor's addresses. Such a port is picked here, then bound later by another
process. Picking it with ``bind(port 0)`` would take it from the kernel's ephemeral range, which
every outgoing connection on the machine also draws from; between the pick and the bind one of them
may take it (EADDRINUSE). :func:`unused_port` picks below that range instead, where the kernel never
assigns a port by itself, so only another explicit bind can collide.
"""

from __future__ import annotations

import random
import socket
from pathlib import Path

__all__ = ["unused_port"]

_RANGE_FILE = Path("/proc/sys/net/ipv4/ip_local_port_range")
_LOWEST = 10_000  # leave the well-known and registered low ports alone
_DEFAULT_EPHEMERAL_LOW = 32_768  # Linux's default when the range cannot be read
_TRIES = 200


def _ephemeral_low() -> int:
    try:
        return int(_RANGE_FILE.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return _DEFAULT_EPHEMERAL_LOW


def unused_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing holds now, below the kernel's ephemeral range.

    Falls back to a kernel-chosen port when the range starts too low to leave room.

    Raises:
        OSError: no free port found in 200 tries.
    """
    high = _ephemeral_low() - 1
    if high - _LOWEST < 1_000:
        with socket.socket() as s:
            s.bind((host, 0))
            return s.getsockname()[1]
    picker = random.Random()  # edge code: not part of any simulated run, so not a seeded stream
    for _ in range(_TRIES):
        port = picker.randint(_LOWEST, high)
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
        return port
    raise OSError(f"no unused port on {host} in {_LOWEST}..{high} after {_TRIES} tries")
