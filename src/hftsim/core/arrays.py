"""Numpy record layouts for bulk commands and events. Cold path (layouts used by hot-path kernels).

One dtype per record kind. The layouts are packed little-endian and mirrored field for field by
the C structs in ``hftsim/matching/records.h``; a test checks the two agree.

Field meanings of :data:`EVENT_DTYPE` per :class:`~hftsim.core.enums.EventKind`:

============  ==========================================================================
ACCEPTED      order_id, client_order_id, owner_id, side, price_ticks, qty (ordered),
              leaves_qty, flags (POST_ONLY)
REJECTED      client_order_id, order_id (the target of a cancel/replace, else 0), reason
FILLED        order_id, contra_order_id, client_order_id, owner_id, exec_id, side,
              price_ticks, qty (filled), leaves_qty, aggressor_side, flags (AGGRESSOR)
CANCELED      order_id, client_order_id, owner_id, side, price_ticks, qty (canceled),
              leaves_qty (left open; 0 when the order is gone), reason
REPLACED      order_id, client_order_id (the new one), owner_id, side, price_ticks (new),
              qty (previous leaves), leaves_qty (new leaves), contra_order_id (previous
              price in ticks), flags (PRIORITY_KEPT)
EXPIRED       order_id, client_order_id, owner_id, side, price_ticks, qty (expired), reason
TRADE         exec_id, order_id (resting), contra_order_id (aggressor), price_ticks, qty,
              aggressor_side
BOOK_DELTA    side, price_ticks, leaves_qty (level quantity now), level_orders (orders now)
============  ==========================================================================

``cmd_seq`` of an event is the ``seq`` of the command that caused it.
"""

from __future__ import annotations

import numpy as np

__all__ = ["COMMAND_DTYPE", "EVENT_DTYPE", "L3_DTYPE", "check_dtype", "records"]


def _packed(fields: list[tuple[str, str]], itemsize: int) -> np.dtype:
    """A packed record dtype padded at the end to ``itemsize`` (the C struct's size)."""
    plain = np.dtype(fields)
    return np.dtype(
        {
            "names": plain.names,
            "formats": [plain.fields[n][0] for n in plain.names],
            "offsets": [plain.fields[n][1] for n in plain.names],
            "itemsize": itemsize,
        }
    )


COMMAND_DTYPE = _packed(
    [
        ("seq", "<i8"),
        ("ts_event", "<i8"),
        ("order_id", "<i8"),
        ("client_order_id", "<i8"),
        ("price_ticks", "<i8"),
        ("qty", "<i8"),
        ("owner_id", "<i4"),
        ("symbol_id", "<i4"),
        ("kind", "u1"),
        ("side", "i1"),
        ("order_type", "u1"),
        ("tif", "u1"),
        ("post_only", "u1"),
    ],
    64,
)

EVENT_DTYPE = _packed(
    [
        ("cmd_seq", "<i8"),
        ("ts_event", "<i8"),
        ("order_id", "<i8"),
        ("contra_order_id", "<i8"),
        ("client_order_id", "<i8"),
        ("exec_id", "<i8"),
        ("price_ticks", "<i8"),
        ("qty", "<i8"),
        ("leaves_qty", "<i8"),
        ("owner_id", "<i4"),
        ("symbol_id", "<i4"),
        ("level_orders", "<i4"),
        ("kind", "u1"),
        ("side", "i1"),
        ("aggressor_side", "i1"),
        ("reason", "u1"),
        ("flags", "u1"),
    ],
    96,
)

#: One resting order in an L3 (order-by-order) view, in priority order.
L3_DTYPE = _packed(
    [
        ("order_id", "<i8"),
        ("client_order_id", "<i8"),
        ("price_ticks", "<i8"),
        ("leaves_qty", "<i8"),
        ("owner_id", "<i4"),
        ("side", "i1"),
        ("tif", "u1"),
        ("post_only", "u1"),
    ],
    40,
)


def records(rows: list[tuple], dtype: np.dtype) -> np.ndarray:
    """Build a record array from tuples with its padding bytes zeroed, so its bytes are reproducible."""
    out = np.zeros(len(rows), dtype=dtype)
    if rows:
        out[:] = rows
    return out


def check_dtype(array: np.ndarray, expected: np.dtype, what: str) -> None:
    """Raise ConfigError unless ``array`` is a 1-D array of exactly ``expected``.

    Args:
        array: the array to check.
        expected: the required record dtype.
        what: what the array is, for the message (``"commands"``).
    """
    from hftsim.core.errors import ConfigError

    if not isinstance(array, np.ndarray):
        raise ConfigError(f"{what}: expected a numpy structured array, got {type(array).__name__}")
    if array.ndim != 1:
        raise ConfigError(f"{what}: expected a 1-D array, got {array.ndim} dimensions")
    if array.dtype == expected:
        return
    names = array.dtype.names or ()
    missing = [n for n in expected.names if n not in names]
    if missing:
        raise ConfigError(
            f"{what}: missing fields {missing}; build the array with np.zeros(n, dtype=...) "
            "using the dtype from hftsim.core.arrays"
        )
    wrong = [
        f"{n} is {array.dtype.fields[n][0]} (expected {expected.fields[n][0]})"
        for n in expected.names
        if n in names and array.dtype.fields[n][0] != expected.fields[n][0]
    ]
    detail = "; ".join(wrong) if wrong else "field order, padding or extra fields differ"
    raise ConfigError(
        f"{what}: wrong dtype: {detail}; build the array with np.zeros(n, dtype=...) "
        "using the dtype from hftsim.core.arrays"
    )
