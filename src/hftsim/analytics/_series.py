"""Turn L1 and trade tables (pyarrow or numpy) into the numpy series the statistics need. Cold path."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pyarrow as pa

from hftsim.core.errors import ConfigError

L1_FIELDS = ("ts_ns", "bid_px_ticks", "bid_qty", "ask_px_ticks", "ask_qty")
TRADE_FIELDS = ("ts_ns", "price_ticks", "qty", "aggressor_side")


def columns_of(
    data: object, fields: Sequence[str], what: str, symbol_id: int | None
) -> dict[str, np.ndarray]:
    """Return ``fields`` of ``data`` as numpy arrays, for one symbol, sorted by ``ts_ns``.

    Args:
        data: a pyarrow Table or RecordBatch, a numpy structured array, or a mapping of name to array.
        fields: the fields needed.
        what: the table's name for messages (``"l1"``).
        symbol_id: keep only this symbol; None requires the data to hold at most one symbol.

    Raises:
        ConfigError: a field is missing, or several symbols are present and none was chosen.
    """
    if isinstance(data, (pa.Table, pa.RecordBatch)):
        names = list(data.schema.names)
        get = lambda name: data.column(name).to_numpy(zero_copy_only=False)  # noqa: E731
    elif isinstance(data, np.ndarray) and data.dtype.names:
        names = list(data.dtype.names)
        get = lambda name: np.asarray(data[name])  # noqa: E731
    elif isinstance(data, Mapping):
        names = list(data)
        get = lambda name: np.asarray(data[name])  # noqa: E731
    else:
        raise ConfigError(
            f"{what}: expected a pyarrow Table, a numpy structured array or a mapping of "
            f"columns, got {type(data).__name__}"
        )
    missing = [f for f in fields if f not in names]
    if missing:
        raise ConfigError(f"{what}: missing fields {missing}; the table has {names}")
    columns = {f: get(f) for f in fields}
    if "symbol_id" in names:
        symbols = get("symbol_id")
        keep = _symbol_rows(symbols, symbol_id, what)
        if keep is not None:
            columns = {f: v[keep] for f, v in columns.items()}
    ts_ns = columns["ts_ns"].astype(np.int64)
    if ts_ns.size and np.any(ts_ns[1:] < ts_ns[:-1]):
        order = np.argsort(ts_ns, kind="stable")
        columns = {f: v[order] for f, v in columns.items()}
    return columns


def _symbol_rows(symbols: np.ndarray, symbol_id: int | None, what: str) -> np.ndarray | None:
    present = np.unique(symbols)
    if symbol_id is None:
        if present.size > 1:
            raise ConfigError(
                f"{what}: holds symbols {present.tolist()}; choose one (symbol_id / --symbol-id)"
            )
        return None
    if symbol_id not in present:
        raise ConfigError(f"{what}: symbol_id {symbol_id} not present; the data holds {present.tolist()}")
    return symbols == symbol_id


def hold_durations_ns(ts_ns: np.ndarray) -> np.ndarray:
    """Return how long each quote row was in force: until the next row (0 for the last)."""
    return np.diff(ts_ns, append=ts_ns[-1]) if ts_ns.size else np.zeros(0, dtype=np.int64)


def merge_same_time(ts_ns: np.ndarray, sign: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Collapse consecutive trades with equal time and sign into one (one aggressive order's prints)."""
    if ts_ns.size == 0:
        return ts_ns, sign
    is_new = np.ones(ts_ns.size, dtype=bool)
    is_new[1:] = (ts_ns[1:] != ts_ns[:-1]) | (sign[1:] != sign[:-1])
    return ts_ns[is_new], sign[is_new]
