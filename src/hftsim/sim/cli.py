"""``hftsim simulate`` and ``hftsim scenarios`` commands. Cold path (edge: reads wall time).

``hftsim.cli`` calls :func:`add_parser` with its subparsers; each command sets ``func``
(``args.func(args)`` returns the exit code). Expected failures (bad scenario, bad output
directory) print ``error: ...`` to stderr and return 2, without a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter  # noqa: TID251 - an edge: the CLI reports the run's wall time

from hftsim.core.errors import ConfigError

__all__ = ["add_parser", "main"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser | None:
    """Register ``simulate`` and ``scenarios`` on ``subparsers`` (each only if not already there).

    Returns:
        The ``simulate`` parser, or None when ``simulate`` was already registered.
    """
    sim = None
    if "simulate" not in subparsers.choices:
        sim = subparsers.add_parser(
            "simulate",
            help="run a market simulation scenario",
            description="Run a scenario (a shipped name such as 'default', or a TOML file) and write its "
            "run directory: commands.parquet, events.parquet, l1.parquet, trades.parquet, summary.json.",
        )
        sim.add_argument("scenario", metavar="SCENARIO", help="shipped scenario name or path to a TOML file")
        sim.add_argument("--out", type=Path, help="run directory (default: runs/<scenario>-seed<seed>)")
        sim.add_argument("--seed", type=int, help="run seed (default: the scenario's)")
        sim.add_argument("--no-progress", action="store_true", help="no progress bar or summary table")
        sim.set_defaults(func=_simulate)
    if "scenarios" not in subparsers.choices:
        listing = subparsers.add_parser(
            "scenarios",
            help="list the shipped scenarios",
            description="List the shipped simulation scenarios.",
        )
        listing.set_defaults(func=_scenarios)
    return sim


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``simulate`` / ``scenarios`` standalone and return the exit code."""
    parser = argparse.ArgumentParser(prog="hftsim")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return args.func(args)


def _simulate(args: argparse.Namespace) -> int:
    from hftsim.sim.run import run_scenario
    from hftsim.sim.scenario import load_scenario

    try:
        if args.seed is not None and args.seed < 0:
            raise ConfigError(f"--seed: expected an integer >= 0, got {args.seed}")
        scenario = load_scenario(args.scenario)
        seed = scenario.seed if args.seed is None else args.seed
        out = args.out if args.out is not None else Path("runs") / f"{scenario.name}-seed{seed}"
        result = run_scenario(
            scenario, out, progress=not args.no_progress, seed=seed, wall_clock=perf_counter
        )
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e.strerror or e} ({e.filename or ''})", file=sys.stderr)
        return 2
    if args.no_progress:
        print(f"{result.out_dir}: digest {result.digest}")
    return 0


def _scenarios(args: argparse.Namespace) -> int:
    from hftsim.sim.scenario import list_scenarios

    scenarios = list_scenarios()
    width = max((len(n) for n in scenarios), default=0)
    for name, description in scenarios.items():
        print(f"{name:<{width}}  {description}")
    return 0
