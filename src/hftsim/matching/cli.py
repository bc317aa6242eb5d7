"""``hftsim replay``: run a file of commands through the matching engine. Edge."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from hftsim.core.arrays import COMMAND_DTYPE, EVENT_DTYPE
from hftsim.core.errors import ConfigError
from hftsim.core.instrument import Instrument
from hftsim.matching.engine import MatchingEngine

__all__ = ["add_parser", "read_commands", "replay", "write_records"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``replay``."""
    p = subparsers.add_parser(
        "replay",
        help="replay a command file through the matching engine",
        description="Apply every command of FILE (Parquet or .npy with the fields of "
        "COMMAND_DTYPE) in order; write the events and print the final book.",
    )
    p.add_argument("file", type=Path, help="commands (.parquet or .npy)")
    p.add_argument("--symbols", type=int, default=None, help="number of symbols (default: 1 + max symbol_id)")
    p.add_argument(
        "--band",
        type=int,
        nargs=2,
        default=(1, 20_000),
        metavar=("LOW", "HIGH"),
        help="price band in ticks of every symbol (default: 1 20000)",
    )
    p.add_argument("--out", type=Path, default=None, help="write the events here (.parquet or .npy)")
    p.add_argument("--depth", type=int, default=5, help="levels of the final book to print")
    p.set_defaults(func=_run)
    return p


def read_commands(path: Path) -> np.ndarray:
    """Read a command file into a COMMAND_DTYPE array; ConfigError names what is wrong."""
    if not path.exists():
        raise ConfigError(f"{path}: no such file")
    if path.suffix == ".npy":
        try:
            arr = np.load(path, allow_pickle=False)
        except ValueError as e:
            raise ConfigError(f"{path}: not a numpy array file ({e})") from e
        if arr.dtype.names is None:
            raise ConfigError(f"{path}: expected a structured array with the fields of COMMAND_DTYPE")
        missing = [n for n in COMMAND_DTYPE.names if n not in arr.dtype.names]
        if missing:
            raise ConfigError(f"{path}: missing fields {missing}")
        out = np.zeros(len(arr), dtype=COMMAND_DTYPE)
        for name in COMMAND_DTYPE.names:
            out[name] = arr[name]
        return out
    if path.suffix == ".parquet":
        import pyarrow.lib
        import pyarrow.parquet as pq

        try:
            table = pq.read_table(path)
        except (OSError, pyarrow.lib.ArrowException) as e:
            raise ConfigError(f"{path}: not a readable Parquet file ({e})") from e
        missing = [n for n in COMMAND_DTYPE.names if n not in table.column_names]
        if missing:
            raise ConfigError(f"{path}: missing columns {missing}")
        out = np.zeros(table.num_rows, dtype=COMMAND_DTYPE)
        for name in COMMAND_DTYPE.names:
            col = table.column(name)
            if col.null_count:
                raise ConfigError(f"{path}: column {name!r} has {col.null_count} nulls")
            out[name] = col.to_numpy()
        return out
    raise ConfigError(f"{path}: unsupported file type {path.suffix!r}; use .parquet or .npy")


def write_records(records: np.ndarray, path: Path) -> Path:
    """Write a record array as Parquet or .npy, to a temporary name renamed on success."""
    tmp = path.with_name(f".{path.name}.tmp")
    if path.suffix == ".parquet":
        import pyarrow as pa
        import pyarrow.parquet as pq

        pq.write_table(pa.table({n: records[n] for n in records.dtype.names}), tmp)
    elif path.suffix == ".npy":
        with tmp.open("wb") as f:
            np.save(f, records, allow_pickle=False)
    else:
        raise ConfigError(f"{path}: unsupported file type {path.suffix!r}; use .parquet or .npy")
    tmp.replace(path)
    return path


def replay(commands: np.ndarray, n_symbols: int, band: tuple[int, int]) -> tuple[MatchingEngine, np.ndarray]:
    """Apply ``commands`` to a fresh engine with ``n_symbols`` symbols; return it and the events."""
    instruments = [
        Instrument(symbol=f"SYM{i}", symbol_id=i, band_low_ticks=band[0], band_high_ticks=band[1])
        for i in range(n_symbols)
    ]
    engine = MatchingEngine(instruments)
    events = engine.run_batch(commands) if len(commands) else np.zeros(0, dtype=EVENT_DTYPE)
    return engine, events


def print_book(engine: MatchingEngine, symbol_id: int, depth: int) -> None:
    """Print the best ``depth`` levels of a symbol as a ladder."""
    from rich.console import Console
    from rich.table import Table

    l2 = engine.l2(symbol_id, depth)
    table = Table(title=f"{engine.instruments[symbol_id].symbol}: final book (best {depth} levels)")
    for col in ("bid orders", "bid qty", "bid px", "ask px", "ask qty", "ask orders"):
        table.add_column(col, justify="right")
    for i in range(max(len(l2.bids), len(l2.asks))):
        b = l2.bids[i] if i < len(l2.bids) else None
        a = l2.asks[i] if i < len(l2.asks) else None
        table.add_row(
            *(
                f"{v:,}" if v is not None else ""
                for v in (
                    b and b.orders,
                    b and b.qty,
                    b and b.price_ticks,
                    a and a.price_ticks,
                    a and a.qty,
                    a and a.orders,
                )
            )
        )
    Console().print(table)


def _run(args: argparse.Namespace) -> int:
    try:
        commands = read_commands(args.file)
        n_symbols = args.symbols or (int(commands["symbol_id"].max()) + 1 if len(commands) else 1)
        engine, events = replay(commands, n_symbols, tuple(args.band))
        if args.out:
            write_records(events, args.out)
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print(f"{len(commands):,} commands -> {len(events):,} events; digest {engine.digest()}")
    for sym in range(n_symbols):
        print_book(engine, sym, args.depth)
    return 0
