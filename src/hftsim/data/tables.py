"""The standard tables hftsim writes and reads: L1 quotes, trades and order flow. Cold path.

Each table is defined once here as a pyarrow schema. Prices are integer ticks, quantities integer
shares and times integer nanoseconds (``int64``), as everywhere money or time is decided.

======================  =====================================================================
:data:`L1_SCHEMA`       ts_ns, symbol_id, bid_px_ticks, bid_qty, ask_px_ticks, ask_qty
                        (an empty side has price 0 and quantity 0)
:data:`TRADE_SCHEMA`    ts_ns, symbol_id, price_ticks, qty, aggressor_side (+1 buy, -1 sell),
                        exec_id
:data:`FLOW_SCHEMA`     ts_ns, symbol_id, kind (:class:`FlowKind`), order_id, side,
                        price_ticks, qty, flags (:class:`FlowFlag` bits)
======================  =====================================================================

Writers put Parquet under a temporary name in the target directory and rename it over the target
only when the write succeeded, so a reader never sees half a file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from enum import IntEnum, IntFlag
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from hftsim.core.errors import ConfigError

__all__ = [
    "FLOW_SCHEMA",
    "FlowFlag",
    "FlowKind",
    "L1_SCHEMA",
    "TRADE_SCHEMA",
    "TableWriter",
    "conform_table",
    "flow_table",
    "l1_table",
    "read_table",
    "table_from_columns",
    "trade_table",
    "write_table",
]

L1_SCHEMA = pa.schema(
    [
        pa.field("ts_ns", pa.int64(), nullable=False),
        pa.field("symbol_id", pa.int32(), nullable=False),
        pa.field("bid_px_ticks", pa.int64(), nullable=False),
        pa.field("bid_qty", pa.int64(), nullable=False),
        pa.field("ask_px_ticks", pa.int64(), nullable=False),
        pa.field("ask_qty", pa.int64(), nullable=False),
    ],
    metadata={"hftsim.table": "l1"},
)

TRADE_SCHEMA = pa.schema(
    [
        pa.field("ts_ns", pa.int64(), nullable=False),
        pa.field("symbol_id", pa.int32(), nullable=False),
        pa.field("price_ticks", pa.int64(), nullable=False),
        pa.field("qty", pa.int64(), nullable=False),
        pa.field("aggressor_side", pa.int8(), nullable=False),
        pa.field("exec_id", pa.int64(), nullable=False),
    ],
    metadata={"hftsim.table": "trades"},
)

FLOW_SCHEMA = pa.schema(
    [
        pa.field("ts_ns", pa.int64(), nullable=False),
        pa.field("symbol_id", pa.int32(), nullable=False),
        pa.field("kind", pa.uint8(), nullable=False),
        pa.field("order_id", pa.int64(), nullable=False),
        pa.field("side", pa.int8(), nullable=False),
        pa.field("price_ticks", pa.int64(), nullable=False),
        pa.field("qty", pa.int64(), nullable=False),
        pa.field("flags", pa.uint8(), nullable=False),
    ],
    metadata={"hftsim.table": "flow"},
)


class FlowKind(IntEnum):
    """What an order-flow message does. Values are part of the file format: never renumber.

    ``qty`` means: NEW the order's size; CANCEL the size removed; REPLACE the new open size (at the
    new ``price_ticks``); EXECUTE the size traded against the resting order ``order_id``. The
    trading-status kinds carry no order (``order_id``, ``price_ticks`` and ``qty`` are 0).
    """

    NEW = 1
    CANCEL = 2
    REPLACE = 3
    EXECUTE = 4
    HALT = 5
    RESUME_QUOTING = 6
    RESUME_TRADING = 7


class FlowFlag(IntFlag):
    """Bits of an order-flow message's ``flags``."""

    NONE = 0
    DELETE = 1  #: on CANCEL: the order is gone afterwards (LOBSTER type 3)
    HIDDEN = 2  #: on EXECUTE: against hidden liquidity (LOBSTER type 5)
    CROSS = 4  #: on EXECUTE: a cross / auction trade (LOBSTER type 6)


def table_from_columns(columns: Mapping[str, object], schema: pa.Schema, what: str) -> pa.Table:
    """Build a table of ``schema`` from equal-length columns (numpy arrays, lists or pyarrow arrays).

    Args:
        columns: one entry per schema field; extra entries are an error.
        schema: one of the schemas of this module.
        what: what the table is, for messages (``"l1"``).

    Returns:
        A table with exactly ``schema``.

    Raises:
        ConfigError: a field is missing or unknown, lengths differ, or a value does not fit its type.
    """
    missing = [f.name for f in schema if f.name not in columns]
    extra = sorted(set(columns) - set(schema.names))
    if missing or extra:
        raise ConfigError(
            f"{what} table: missing fields {missing}, unknown fields {extra}; expected exactly {schema.names}"
        )
    arrays = []
    for field in schema:
        try:
            arrays.append(pa.array(np.asarray(columns[field.name]), type=field.type))
        except (pa.ArrowInvalid, pa.ArrowTypeError, ValueError, TypeError, OverflowError) as e:
            raise ConfigError(f"{what} table: field {field.name}: cannot convert to {field.type}: {e}") from e
    lengths = {len(a) for a in arrays}
    if len(lengths) > 1:
        sizes = {f.name: len(a) for f, a in zip(schema, arrays)}
        raise ConfigError(
            f"{what} table: fields have different lengths {sizes}; give every field one value per row"
        )
    return pa.Table.from_arrays(arrays, schema=schema)


def l1_table(**columns: object) -> pa.Table:
    """Build an :data:`L1_SCHEMA` table from keyword columns (``ts_ns=..., bid_px_ticks=...``)."""
    return table_from_columns(columns, L1_SCHEMA, "l1")


def trade_table(**columns: object) -> pa.Table:
    """Build a :data:`TRADE_SCHEMA` table from keyword columns."""
    return table_from_columns(columns, TRADE_SCHEMA, "trades")


def flow_table(**columns: object) -> pa.Table:
    """Build a :data:`FLOW_SCHEMA` table from keyword columns; ``flags`` defaults to 0."""
    if "flags" not in columns and "kind" in columns:
        columns["flags"] = np.zeros(len(np.asarray(columns["kind"])), dtype=np.uint8)
    return table_from_columns(columns, FLOW_SCHEMA, "flow")


def conform_table(table: pa.Table, schema: pa.Schema, where: str) -> pa.Table:
    """Return ``table`` with exactly ``schema``'s fields and types.

    Extra fields are dropped; fields are cast safely (a value that does not fit is an error).

    Raises:
        ConfigError: a field is missing, holds nulls, or does not fit; the message starts with ``where``.
    """
    missing = [n for n in schema.names if n not in table.column_names]
    if missing:
        raise ConfigError(f"{where}: missing fields {missing}; expected {schema.names}")
    arrays = []
    for field in schema:
        column = table.column(field.name)
        if column.null_count:
            raise ConfigError(
                f"{where}: field {field.name} has {column.null_count} null values; every value is required"
            )
        try:
            arrays.append(column.cast(field.type, safe=True))
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as e:
            raise ConfigError(
                f"{where}: field {field.name} is {column.type}, expected {field.type}: {e}"
            ) from e
    return pa.Table.from_arrays(arrays, schema=schema)


def _temporary_path(path: Path) -> Path:
    return path.with_name(f".{path.name}.partial")


def write_table(table: pa.Table, path: str | os.PathLike[str], schema: pa.Schema) -> Path:
    """Write ``table`` as Parquet to ``path`` atomically, checked against ``schema``.

    Args:
        table: the rows; fields are cast safely to the schema's types, extra fields are dropped.
        path: the target file; its directory must exist.
        schema: :data:`L1_SCHEMA`, :data:`TRADE_SCHEMA` or :data:`FLOW_SCHEMA`.

    Returns:
        The path written.

    Raises:
        ConfigError: a field is missing, null, or does not fit the schema's type.
    """
    target = Path(path)
    conformed = conform_table(table, schema, f"writing {target}")
    with TableWriter(target, schema) as writer:
        writer.write(conformed)
    return target


def read_table(path: str | os.PathLike[str], schema: pa.Schema) -> pa.Table:
    """Read a Parquet file and return it with exactly ``schema``.

    Raises:
        ConfigError: the file is missing or not Parquet, or a field is missing or of the wrong type.
    """
    source = Path(path)
    if not source.is_file():
        raise ConfigError(
            f"{source}: no such file; expected a Parquet {schema.metadata[b'hftsim.table'].decode()} table"
        )
    try:
        table = pq.read_table(source)
    except (pa.ArrowInvalid, OSError) as e:
        raise ConfigError(f"{source}: not a readable Parquet file: {e}") from e
    return conform_table(table, schema, str(source))


class TableWriter:
    """Write a table in batches to a temporary file; rename it into place on a clean close.

    Use as a context manager. If the block raises, the temporary file is removed and the target
    is left untouched.

    Args:
        path: the target Parquet file.
        schema: the table's schema; every batch must conform to it.
    """

    def __init__(self, path: str | os.PathLike[str], schema: pa.Schema) -> None:
        self._path = Path(path)
        self._schema = schema
        self._temporary = _temporary_path(self._path)
        self._writer: pq.ParquetWriter | None = None
        self.rows_written = 0

    def __enter__(self) -> TableWriter:
        if not self._path.parent.is_dir():
            raise ConfigError(f"{self._path}: directory {self._path.parent} does not exist")
        self._writer = pq.ParquetWriter(self._temporary, self._schema, compression="zstd")
        return self

    def write(self, table: pa.Table) -> None:
        """Append the rows of ``table`` (cast to the schema; extra fields dropped)."""
        assert self._writer is not None, "use TableWriter as a context manager"
        conformed = conform_table(table, self._schema, f"writing {self._path}")
        self._writer.write_table(conformed)
        self.rows_written += conformed.num_rows

    def __exit__(self, exc_type, exc, tb) -> None:
        assert self._writer is not None
        self._writer.close()
        if exc_type is None:
            os.replace(self._temporary, self._path)
        else:
            self._temporary.unlink(missing_ok=True)
