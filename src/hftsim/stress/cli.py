"""``hftsim stress SCENARIO``: run stress and fault drills, write a result directory, print targets. Edge.

``hftsim stress compare BASELINE CURRENT`` checks two result directories line up (same suites,
same scenario versions, finished runs) and compares them like ``hftsim regress``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

__all__ = ["add_parser", "main"]

_EPILOG = """scenarios:
  flood     ramp offered FIX load to the venue (5k..150k msgs/s); saturation point
  loss      ITCH/MoldUDP64 feed at 1%, 5%, 10% uniform and bursty loss
  jitter    feed under jitter and reordering; FIX through a jittering TCP proxy
  oms       50-200 OMS agents in one simulation; 20-100 FIX sessions at once
  failover  the failover drill (needs hftsim.bench.failover)
  soak      venue load held for a fixed time: RSS growth, latency drift
  bench     engine and journal benchmarks, for the target table
  all       every scenario above
  compare   compare BASELINE CURRENT result directories (exit 1 on a regression)

exit codes: 0 done, 1 a scenario failed or a regression against --baseline, 2 bad input.
See docs/stress_testing.md."""


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``stress``."""
    p = subparsers.add_parser(
        "stress",
        help="stress, fault and regression drills with reports",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _arguments(p)
    p.set_defaults(func=_run)
    return p


def _arguments(p: argparse.ArgumentParser) -> None:
    from hftsim.stress.registry import scenario_names

    p.add_argument("scenario", choices=[*scenario_names(), "compare"], help="which drill (or compare)")
    p.add_argument("dirs", nargs="*", type=Path, help="compare only: BASELINE CURRENT")
    p.add_argument("--quick", action="store_true", help="small versions: under a minute each")
    p.add_argument(
        "--out", type=Path, default=Path("results"), help="parent of the run directory (default results)"
    )
    p.add_argument(
        "--repeat", type=int, default=1, help="run N times; perf.csv per repeat, compared by median"
    )
    p.add_argument("--baseline", type=Path, help="result directory to compare with (checked before running)")
    p.add_argument(
        "--thresholds", type=Path, help="TOML [thresholds] for comparisons (default: stress defaults)"
    )
    p.add_argument("--run-id", help="name of the run directory (default SCENARIO-MODE-UTCSTAMP)")


def _print_checks(report) -> None:
    from rich.console import Console
    from rich.table import Table

    from hftsim.stress.target import format_number

    table = Table(title=f"hftsim stress {report.manifest['scenario']} ({report.manifest['mode']}): targets")
    for col in ("suite", "metric", "conditions", "value", "target", "status"):
        table.add_column(col, justify="right" if col in ("value", "target") else "left", overflow="fold")
    for c in report.checks:
        value = "" if c.value is None else format_number(c.value)
        style = {"met": "green", "NOT MET": "bold red"}.get(c.status, "dim")
        table.add_row(
            c.suite,
            c.metric,
            c.conditions.replace("mode=quick;", "").replace("mode=full;", ""),
            value,
            c.target,
            f"[{style}]{c.status}[/]",
        )
    Console(width=160).print(table)


def _compare(args: argparse.Namespace) -> int:
    from hftsim.bench.regress import write_report
    from hftsim.stress.baseline import compare_runs, load_thresholds

    if len(args.dirs) != 2:
        print("error: compare needs BASELINE CURRENT", file=sys.stderr)
        return 2
    baseline, current = args.dirs
    comparisons = compare_runs(baseline, current, load_thresholds(args.thresholds))
    csv_path, md_path = write_report(comparisons, current)
    failed = [c for c in comparisons if not c.passed]
    for c in failed:
        print(
            f"REGRESSION {c.suite}.{c.metric} [{c.conditions}]: {c.baseline:g} -> {c.current:g} "
            f"({c.delta_pct:+.1f}%, threshold {c.threshold})"
        )
    print(f"{len(comparisons)} metrics, {len(failed)} regressed; report: {csv_path}, {md_path}")
    return 1 if failed else 0


def _run(args: argparse.Namespace) -> int:
    from hftsim.core.errors import ConfigError

    try:
        if args.scenario == "compare":
            return _compare(args)
        if args.dirs:
            print(f"error: unexpected arguments {[str(d) for d in args.dirs]}", file=sys.stderr)
            return 2
        from hftsim.stress.run import run_stress

        report = run_stress(
            args.scenario,
            quick=args.quick,
            out=args.out,
            repeat=args.repeat,
            baseline=args.baseline,
            thresholds=args.thresholds,
            run_id=args.run_id,
        )
    except (ConfigError, FileExistsError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    _print_checks(report)
    for suite, why in sorted(report.unavailable.items()):
        print(f"not run: {suite}: suite not available in this build ({why})")
    for name, why in sorted(report.failed.items()):
        print(f"FAILED: {name}: {why}")
    if report.regressions is not None:
        bad = [c for c in report.regressions if not c.passed]
        for c in bad:
            print(
                f"REGRESSION {c.suite}.{c.metric} [{c.conditions}]: {c.baseline:g} -> {c.current:g} "
                f"({c.delta_pct:+.1f}%, threshold {c.threshold})"
            )
        print(f"against {args.baseline}: {len(report.regressions)} metrics, {len(bad)} regressed")
    met = sum(c.is_met for c in report.checks)
    print(
        f"run {report.run_dir} in {report.wall_s:.1f} s (load average {report.manifest.get('loadavg_end')}): "
        f"{met}/{len(report.checks)} targets met; open {report.run_dir / 'index.html'}"
    )
    return report.exit_code


def main(argv: list[str] | None = None) -> int:
    """Run ``stress`` as its own program (``python -m hftsim.stress``) until the lead wires it in."""
    parser = argparse.ArgumentParser(
        prog="hftsim stress",
        description=__doc__,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _arguments(parser)
    return _run(parser.parse_args(argv))
