"""``hftsim bench SUITE``: run a benchmark, print a table against targets, keep a CSV row. Edge."""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import importlib
import json
import subprocess
import sys
from pathlib import Path

__all__ = ["add_parser", "compare", "write_row"]

#: suite -> module with run(quick=...) -> dict and optionally TARGETS
SUITES = {
    "engine": "hftsim.bench.engine",
    "hawkes": "hftsim.bench.hawkes",
    "journal": "hftsim.bench.journal",
    "sim": "hftsim.bench.sim",
    "oms": "hftsim.bench.oms",
    "venue": "hftsim.bench.venue",
    "metrics": "hftsim.bench.metrics",
    "sweep": "hftsim.bench.sweep",
    "feed": "hftsim.bench.feed",
    "failover": "hftsim.bench.failover",
}


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``bench``."""
    p = subparsers.add_parser("bench", help="run a benchmark suite", description=__doc__)
    p.add_argument("suite", choices=sorted(SUITES), help="which benchmark")
    p.add_argument("--quick", action="store_true", help="a small version that runs in seconds")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of a table")
    p.add_argument(
        "--results", type=Path, default=Path("results"), help="directory of the CSV log (default: results)"
    )
    p.add_argument(
        "--perf-dir",
        type=Path,
        default=None,
        help="also write perf.csv rows here, for `hftsim regress` (one directory per run)",
    )
    p.set_defaults(func=_run)
    return p


def compare(value: float, op: str, bound: float) -> bool:
    """True when ``value op bound`` holds (op is one of >=, <=, <, >)."""
    return {">=": value >= bound, "<=": value <= bound, "<": value < bound, ">": value > bound}[op]


def _git_rev() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, timeout=5
        )
        return out.stdout.strip() or "unknown"
    except (OSError, subprocess.SubprocessError):
        return "unknown"


def write_row(results_dir: Path, suite: str, figures: dict) -> Path:
    """Append the figures as one row of ``results_dir/bench_<suite>.csv`` (header written once)."""
    results_dir.mkdir(parents=True, exist_ok=True)
    path = results_dir / f"bench_{suite}.csv"
    row = {
        "utc": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "git": _git_rev(),
        **figures,
    }
    is_new = not path.exists()
    with path.open("a", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(row))
        if is_new:
            writer.writeheader()
        writer.writerow(row)
    return path


def _print_table(suite: str, figures: dict, targets: dict) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"hftsim bench {suite}")
    for col in ("metric", "value", "target", "met"):
        table.add_column(col, justify="right" if col != "metric" else "left")
    for key, value in figures.items():
        target, met = "", ""
        if key in targets and isinstance(value, (int, float)):
            op, bound = targets[key]
            target = f"{op} {bound:,}"
            met = "yes" if compare(value, op, bound) else "NO"
        shown = (
            f"{value:,}" if isinstance(value, (int, float)) and not isinstance(value, bool) else str(value)
        )
        table.add_row(key, shown, target, met)
    Console().print(table)


def _run(args: argparse.Namespace) -> int:
    module = importlib.import_module(SUITES[args.suite])
    figures = module.run(quick=args.quick)
    targets = getattr(module, "TARGETS", {})
    path = write_row(args.results, args.suite, figures)
    if args.perf_dir:
        from hftsim.bench.regress import perf_rows, write_perf

        mode = "quick" if args.quick else "full"
        write_perf(
            args.perf_dir,
            perf_rows(args.suite, figures, mode),
            {args.suite: f"{getattr(module, 'SCENARIO_VERSION', '1')}-{mode}"},
        )
    if args.json:
        print(json.dumps(figures))
    else:
        _print_table(args.suite, figures, targets)
        print(f"row appended to {path}", file=sys.stderr)
    return 0
