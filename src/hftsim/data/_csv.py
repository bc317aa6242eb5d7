"""Checked, streaming reading and atomic writing of header-less numeric CSV files. Cold path.

Every field is read as text and validated with vectorized regular expressions before it is cast,
so a malformed row is reported by file, line number and field name instead of by a pyarrow error
without context. Empty lines are kept as rows (and reported), so row ``i`` of the file is always
line ``first_line + i``.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from hftsim.core.errors import ConfigError

INTEGER_PATTERN = r"^-?[0-9]{1,18}$"  # 18 digits always fit int64, so a cast never overflows
_SECONDS_PATTERN = r"^(?P<whole>[0-9]{1,12})(?:\.(?P<fraction>[0-9]{0,9}))?$"


def _shown(text: str) -> str:
    """Return field text as typed when it is a plain token, else quoted (empty, spaces)."""
    return text if text and text == text.strip() else repr(text)


class CsvBatch:
    """Text columns of consecutive rows of one file, starting at line ``first_line`` (1-based)."""

    __slots__ = ("columns", "first_line", "num_rows", "path")

    def __init__(self, path: Path, first_line: int, columns: dict[str, pa.Array]) -> None:
        self.path = path
        self.first_line = first_line
        self.columns = columns
        self.num_rows = len(next(iter(columns.values()))) if columns else 0

    def fail(self, row: int, message: str) -> ConfigError:
        """Return a ConfigError for row ``row`` of this batch: ``path: line N: message``."""
        return ConfigError(f"{self.path}: line {self.first_line + row}: {message}")

    def check(self, is_bad: np.ndarray, field: str, expected: str) -> None:
        """Raise for the first row where ``is_bad`` holds, quoting the raw text of ``field``."""
        rows = np.flatnonzero(is_bad)
        if rows.size:
            row = int(rows[0])
            raise self.fail(
                row, f"{field} must be {expected}, got {_shown(self.columns[field][row].as_py())}"
            )

    def integers(self, field: str, expected: str = "an integer") -> np.ndarray:
        """Return ``field`` as int64, or raise naming the first row that is not an integer."""
        text = self.columns[field]
        is_integer = pc.match_substring_regex(text, INTEGER_PATTERN).to_numpy(zero_copy_only=False)
        self.check(~is_integer, field, expected)
        return pc.cast(text, pa.int64()).to_numpy(zero_copy_only=False, writable=True)

    def seconds_as_ns(self, field: str) -> np.ndarray:
        """Return decimal seconds (at most 9 decimals) as exact int64 nanoseconds."""
        parts = pc.extract_regex(self.columns[field], _SECONDS_PATTERN)
        self.check(
            parts.is_null().to_numpy(zero_copy_only=False),
            field,
            "seconds after midnight, a decimal number with at most 9 decimals",
        )
        whole = pc.cast(parts.field("whole"), pa.int64()).to_numpy()
        fraction = pc.cast(pc.utf8_rpad(parts.field("fraction"), width=9, padding="0"), pa.int64()).to_numpy()
        return whole * 1_000_000_000 + fraction

    def check_not_empty(self) -> None:
        """Raise for the first empty line (every field empty)."""
        is_empty = None
        for text in self.columns.values():
            blank = pc.equal(pc.utf8_length(text), 0).to_numpy(zero_copy_only=False)
            is_empty = blank if is_empty is None else is_empty & blank
        rows = np.flatnonzero(is_empty) if is_empty is not None else []
        if len(rows):
            raise self.fail(int(rows[0]), f"empty line; expected {len(self.columns)} comma-separated fields")


def count_fields(path: Path) -> int:
    """Return the number of comma-separated fields on the first line of ``path`` (0 if the file is empty)."""
    with open_checked(path) as stream:
        first = stream.readline()
    return first.rstrip(b"\r\n").count(b",") + 1 if first else 0


def open_checked(path: Path):
    """Open ``path`` for binary reading, or raise ConfigError saying it does not exist."""
    try:
        return open(path, "rb")
    except FileNotFoundError as e:
        raise ConfigError(f"{path}: no such file") from e
    except OSError as e:
        raise ConfigError(f"{path}: cannot open: {e}") from e


def iter_csv(
    path: Path, names: Sequence[str], *, block_bytes: int = 1 << 24, use: Sequence[str] | None = None
) -> Iterator[CsvBatch]:
    """Stream a header-less CSV file as text batches, checking every row has ``len(names)`` fields.

    Args:
        path: the file.
        names: the field names, in file order (used in messages).
        block_bytes: bytes parsed per batch.
        use: the fields to keep (all when None); the others are only counted.

    Raises:
        ConfigError: the file is missing, or a row has the wrong number of fields.
    """
    with open_checked(path) as stream:
        if not stream.read(1):
            return
    invalid: list[pcsv.InvalidRow] = []

    def on_invalid(row: pcsv.InvalidRow) -> str:
        invalid.append(row)
        return "error"

    kept = list(names if use is None else use)
    read_options = pcsv.ReadOptions(column_names=list(names), use_threads=False, block_size=block_bytes)
    parse_options = pcsv.ParseOptions(
        quote_char=False, ignore_empty_lines=False, invalid_row_handler=on_invalid
    )
    convert_options = pcsv.ConvertOptions(column_types={n: pa.string() for n in kept}, include_columns=kept)
    first_line = 1
    try:
        reader = pcsv.open_csv(
            path, read_options=read_options, parse_options=parse_options, convert_options=convert_options
        )
        for batch in reader:
            yield CsvBatch(path, first_line, {n: batch.column(n) for n in kept})
            first_line += batch.num_rows
    except pa.ArrowInvalid as e:
        if invalid:
            row = invalid[0]
            line = row.number if row.number is not None else f"{first_line} or later"
            raise ConfigError(
                f"{path}: line {line}: expected {row.expected_columns} fields "
                f"({', '.join(names)}), got {row.actual_columns}: {row.text!r}"
            ) from e
        raise ConfigError(f"{path}: cannot parse as CSV: {e}") from e


class RowBuffer:
    """Regroup a stream of :class:`CsvBatch`-derived column dicts into batches of chosen sizes."""

    def __init__(self, batches: Iterator[dict[str, np.ndarray]]) -> None:
        self._batches = batches
        self._pending: list[dict[str, np.ndarray]] = []
        self._pending_rows = 0

    def take(self, num_rows: int) -> dict[str, np.ndarray] | None:
        """Return exactly ``num_rows`` rows, or None when the stream ends first."""
        while self._pending_rows < num_rows:
            batch = next(self._batches, None)
            if batch is None:
                return None
            self._pending.append(batch)
            self._pending_rows += len(next(iter(batch.values())))
        merged = (
            {k: np.concatenate([b[k] for b in self._pending]) for k in self._pending[0]}
            if self._pending
            else {}
        )
        taken = {k: v[:num_rows] for k, v in merged.items()}
        rest = {k: v[num_rows:] for k, v in merged.items()}
        self._pending_rows -= num_rows
        self._pending = [rest] if self._pending_rows else []
        return taken

    def remaining_rows(self) -> int:
        """Drain the stream and return how many rows were left over."""
        return self._pending_rows + sum(len(next(iter(b.values()))) for b in self._batches)


def write_text_atomically(path: Path, table: pa.Table) -> None:
    """Write ``table`` as header-less, unquoted CSV to a temporary name, then rename it to ``path``."""
    temporary = path.with_name(f".{path.name}.partial")
    try:
        pcsv.write_csv(
            table, temporary, write_options=pcsv.WriteOptions(include_header=False, quoting_style="none")
        )
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
