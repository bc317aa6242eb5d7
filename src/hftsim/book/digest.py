"""State digest of a set of books, for replay and failover checks. Cold path."""

from __future__ import annotations

import hashlib
from typing import Iterable

import numpy as np

from hftsim.core.arrays import L3_DTYPE

__all__ = ["books_digest"]


def books_digest(l3_by_symbol: Iterable[np.ndarray], next_order_id: int, next_exec_id: int) -> str:
    """Hash every resting order (in priority order) of every symbol, plus the id counters.

    Two engines in the same state give the same digest whatever their implementation.

    Args:
        l3_by_symbol: the L3 view of each symbol, in symbol-id order.
        next_order_id: the next order id the engine would assign.
        next_exec_id: the next execution id.

    Returns:
        A 32-hex-digit BLAKE2b digest.
    """
    h = hashlib.blake2b(digest_size=16)
    h.update(np.array([next_order_id, next_exec_id], dtype="<i8").tobytes())
    for symbol_id, l3 in enumerate(l3_by_symbol):
        rows = np.zeros(len(l3), dtype=L3_DTYPE)  # zeroed padding: hash the fields, not stray bytes
        for name in L3_DTYPE.names:
            rows[name] = l3[name]
        h.update(np.array([symbol_id, len(rows)], dtype="<i8").tobytes())
        h.update(rows.tobytes())
    return h.hexdigest()
