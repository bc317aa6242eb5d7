"""The ``hftsim facts`` command: stylized facts of a run directory or a LOBSTER file pair. Cold path.

``hftsim.cli`` calls :func:`add_parser` with its subparsers; the parsed namespace's ``func`` runs the
command and returns the exit code (0 on success, 2 for bad input, reported without a traceback).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pyarrow as pa

from hftsim.core.errors import ConfigError, HftsimError
from hftsim.data.lobster import orderbook_path_for, read_lobster
from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, read_table

__all__ = ["add_parser", "load_input", "main", "run_facts"]

_RUN_FILES = ("l1.parquet", "trades.parquet")


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register the ``facts`` command on ``subparsers`` and return its parser."""
    parser = subparsers.add_parser(
        "facts",
        help="compute stylized facts of quotes and trades",
        description="Compute stylized facts (spread, depth, signature plot, autocorrelations, "
        "inter-arrival times) of a run directory holding l1.parquet and trades.parquet, "
        "or of a LOBSTER message file and its orderbook file. Writes facts.csv, "
        "facts.json and PNG plots.",
    )
    parser.add_argument(
        "path",
        metavar="RUN_DIR_OR_FILE",
        type=Path,
        help="run directory, or LOBSTER *_message_*.csv file (or a directory holding one)",
    )
    parser.add_argument(
        "--orderbook",
        type=Path,
        default=None,
        help="LOBSTER orderbook file (default: the message file name with _orderbook_)",
    )
    parser.add_argument(
        "--tick-size",
        type=int,
        default=100,
        help="one tick in LOBSTER price units, dollars x 10000 (default 100: one cent)",
    )
    parser.add_argument(
        "--symbol-id", type=int, default=None, help="symbol to analyse when there are several"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=None,
        help="output directory (default: RUN_DIR/facts, or MESSAGE_STEM_facts beside the file)",
    )
    parser.add_argument(
        "--max-lag", type=int, default=1000, help="largest autocorrelation lag (default 1000)"
    )
    parser.set_defaults(func=run_facts)
    return parser


def _lobster_in(directory: Path) -> Path | None:
    candidates = sorted(directory.glob("*_message_*.csv"))
    if len(candidates) > 1:
        raise ConfigError(
            f"{directory}: holds several LOBSTER message files "
            f"({', '.join(c.name for c in candidates)}); pass one of them"
        )
    return candidates[0] if candidates else None


def load_input(
    path: Path, orderbook: Path | None = None, *, tick_size: int = 100
) -> tuple[pa.Table, pa.Table, Path]:
    """Return ``(l1, trades, default_out_dir)`` for a run directory or a LOBSTER message file.

    Raises:
        ConfigError: the path does not exist, files are missing, or their content is malformed.
    """
    if not path.exists():
        raise ConfigError(
            f"{path}: no such file or directory; expected a run directory holding "
            f"{' and '.join(_RUN_FILES)}, or a LOBSTER message file"
        )
    message = path
    if path.is_dir():
        present = [name for name in _RUN_FILES if (path / name).is_file()]
        if len(present) == len(_RUN_FILES):
            return (
                read_table(path / "l1.parquet", L1_SCHEMA),
                read_table(path / "trades.parquet", TRADE_SCHEMA),
                path / "facts",
            )
        found = _lobster_in(path)
        if found is None:
            missing = [name for name in _RUN_FILES if name not in present]
            raise ConfigError(
                f"{path}: missing {', '.join(missing)}; a run directory needs "
                f"{' and '.join(_RUN_FILES)} (or a LOBSTER *_message_*.csv file)"
            )
        message = found
    book = orderbook if orderbook is not None else orderbook_path_for(message)
    if not book.is_file():
        raise ConfigError(f"{book}: no such LOBSTER orderbook file for {message}; pass it with --orderbook")
    tables = read_lobster(message, book, tick_size=tick_size)
    return tables.l1, tables.trades, message.with_name(f"{message.stem}_facts")


def run_facts(args: argparse.Namespace) -> int:
    """Run ``hftsim facts`` for parsed ``args``; print what was written and return the exit code."""
    from hftsim.analytics.plots import plot_facts
    from hftsim.analytics.report import write_facts
    from hftsim.analytics.stylized import compute_facts

    try:
        l1, trades, default_out = load_input(args.path, args.orderbook, tick_size=args.tick_size)
        facts = compute_facts(l1, trades, symbol_id=args.symbol_id, max_lag=args.max_lag)
        out_dir = args.out if args.out is not None else default_out
        written = [*write_facts(facts, out_dir), *plot_facts(facts, out_dir)]
    except HftsimError as e:
        print(f"hftsim facts: error: {e}", file=sys.stderr)
        return 2
    except OSError as e:  # the output directory could not be written
        print(f"hftsim facts: error: cannot write output: {e}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Run the ``facts`` command standalone (``python -m hftsim.analytics.cli facts ...``)."""
    parser = argparse.ArgumentParser(prog="hftsim")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
