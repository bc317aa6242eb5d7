"""``hftsim demo``: the main job on embedded defaults. Edge.

At this stage: a seeded workload replayed through the matching engine (commands and events written as
Parquet under ``results/demo``), the final book, and the engine benchmark table.
"""

from __future__ import annotations

import argparse
from pathlib import Path

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``demo``."""
    p = subparsers.add_parser("demo", help="run the main job on embedded defaults", description=__doc__)
    p.add_argument("--out", type=Path, default=Path("results/demo"), help="output directory")
    p.add_argument("--seed", type=int, default=7, help="run seed")
    p.add_argument("--full", action="store_true", help="run the full 1M-command benchmark, not the quick one")
    p.set_defaults(func=_run)
    return p


def _run(args: argparse.Namespace) -> int:
    from hftsim.bench import engine as engine_bench
    from hftsim.bench.cli import _print_table, write_row
    from hftsim.bench.workload import engine_workload
    from hftsim.matching.cli import print_book, replay, write_records

    args.out.mkdir(parents=True, exist_ok=True)
    commands = engine_workload(200_000, 1, args.seed)
    engine, events = replay(commands, 1, (1, 20_000))
    write_records(commands, args.out / "commands.parquet")
    write_records(events, args.out / "events.parquet")
    print(
        f"replayed {len(commands):,} seeded commands (seed {args.seed}) -> {len(events):,} events; "
        f"state digest {engine.digest()}"
    )
    print(f"wrote {args.out / 'commands.parquet'} and {args.out / 'events.parquet'}")
    print_book(engine, 0, 5)
    figures = engine_bench.run(quick=not args.full, seed=args.seed)
    write_row(args.out.parent, "engine", figures)
    _print_table("engine", figures, engine_bench.TARGETS)
    return 0
