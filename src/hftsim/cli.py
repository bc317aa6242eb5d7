"""The ``hftsim`` command. Edge.

Each command lives in its own module, imported only when that command runs, so that a light command
(``hftsim bench engine``) does not pay for heavy imports (numba, pyarrow) in start-up time or memory.
Every module exposes ``add_parser(subparsers)``, which sets ``func`` on its parser; ``func(args)``
returns the exit code.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

from hftsim import __version__

__all__ = ["COMMANDS", "main"]

#: command -> (module with add_parser, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "demo": ("hftsim.demo", "run the main job on embedded defaults"),
    "bench": ("hftsim.bench.cli", "run a benchmark suite (engine, hawkes, journal, sim, oms)"),
    "replay": ("hftsim.matching.cli", "replay a command file through the matching engine"),
    "regress": ("hftsim.bench.regress", "compare two result directories; exit 1 on a regression"),
    "stress": ("hftsim.stress.cli", "stress, fault and regression drills with reports"),
    "simulate": ("hftsim.sim.cli", "run a simulation scenario"),
    "scenarios": ("hftsim.sim.cli", "list the scenarios shipped with hftsim"),
    "venue": ("hftsim.net.venue.cli", "run the live FIX venue, load it, or recover it from its journal"),
    "journal": ("hftsim.journal.cli", "inspect or recover a journal"),
    "failover": (
        "hftsim.net.standby.cli",
        "kill the primary venue again and again; measure the takeovers",
    ),
    "dashboard": ("hftsim.monitor.cli", "show a run directory on the live web dashboard"),
    "sweep": ("hftsim.sweep.cli", "run a parameter sweep or Monte Carlo on Dask"),
    "data": ("hftsim.net.feed.cli", "convert and replay market-data files (ITCH 5.0)"),
    "hawkes": ("hftsim.flow.hawkes.cli", "simulate, fit and diagnose Hawkes processes"),
    "facts": ("hftsim.analytics.cli", "stylized facts of a run directory or LOBSTER data"),
    "impact": ("hftsim.analytics.impact", "response function and propagator of a run's trades"),
}


def _available(module: str) -> bool:
    return importlib.util.find_spec(module) is not None


def build_parser(command: str | None) -> argparse.ArgumentParser:
    """The top-level parser; only ``command``'s module is imported to build its sub-parser."""
    parser = argparse.ArgumentParser(prog="hftsim", description="A deterministic simulator of an HFT venue.")
    parser.add_argument("--version", action="version", version=f"hftsim {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    added: set[str] = set()
    for name, (module, help_text) in COMMANDS.items():
        if name == command and _available(module):
            before = set(sub.choices)
            importlib.import_module(module).add_parser(sub)
            added |= set(sub.choices) - before
        elif name not in added and name not in sub.choices:
            sub.add_parser(name, help=help_text, add_help=False)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hftsim`` with ``argv`` (default: the process arguments); return the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    command = next((a for a in argv if not a.startswith("-")), None)
    if command in COMMANDS and not _available(COMMANDS[command][0]):
        print(f"hftsim {command}: not available in this build", file=sys.stderr)
        return 2
    parser = build_parser(command)
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    if func is None:
        parser.print_help()
        return 0 if args.command is None else 2
    return int(func(args) or 0)


if __name__ == "__main__":
    sys.exit(main())
