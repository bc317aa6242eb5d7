"""``hftsim sweep SWEEP.toml``: parameter sweeps and Monte Carlo on Dask. Edge (reads wall time).

``hftsim.cli`` calls :func:`add_parser` with its subparsers; the command sets ``func``
(``args.func(args)`` returns the exit code): 0 when every task succeeded, 1 when some failed after
their retry, 2 on bad input (bad sweep file, unknown parameter path, empty grid, unreachable
scheduler, bad output directory; reported before any task runs, without a traceback), 130 when
interrupted (run the same command again to resume).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path
from time import perf_counter  # noqa: TID251 - an edge: the CLI reports the sweep's wall time

from hftsim.core.errors import ConfigError

__all__ = ["add_parser", "main"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser | None:
    """Register ``sweep`` on ``subparsers`` (unless already there) and return its parser."""
    if "sweep" in subparsers.choices:
        return None
    p = subparsers.add_parser(
        "sweep",
        help="run a parameter sweep or Monte Carlo of a scenario on Dask",
        description="Expand SWEEP.toml (a base scenario, a [grid] or [random] search, seeds per point) into "
        "simulations, run them on an embedded Dask LocalCluster or an existing cluster, and write "
        "OUT/results.parquet (one row per run) and OUT/summary.parquet (mean/std per point). Running "
        "it again resumes: finished tasks are skipped.",
    )
    p.add_argument("sweep", metavar="SWEEP", help="sweep TOML file, or the name of a shipped example")
    p.add_argument("--out", type=Path, help="output directory (default: runs/sweeps/<sweep name>)")
    p.add_argument("--scheduler", metavar="ADDR", help="existing Dask scheduler, e.g. tcp://HOST:8786")
    p.add_argument("--workers", type=int, metavar="N", help="local worker processes (default: the cores)")
    p.add_argument(
        "--timeout", type=float, default=5.0, metavar="S", help="seconds to wait for --scheduler (default: 5)"
    )
    p.add_argument("--no-progress", action="store_true", help="no progress bar or summary table")
    p.add_argument("--no-plot", action="store_true", help="do not draw OUT/plot.png for a sweep with [plot]")
    p.set_defaults(func=_sweep)
    return p


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``sweep`` standalone and return the exit code."""
    parser = argparse.ArgumentParser(prog="hftsim")
    add_parser(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(sys.argv[1:] if argv is None else argv)
    return args.func(args)


def _sweep(args: argparse.Namespace) -> int:
    from hftsim.sweep.expand import plan
    from hftsim.sweep.run import run_sweep
    from hftsim.sweep.spec import load_sweep

    try:
        if args.workers is not None and args.workers < 1:
            raise ConfigError(f"--workers: expected an integer >= 1, got {args.workers}")
        if args.scheduler and args.workers is not None:
            raise ConfigError(
                "--workers: only for the local cluster; an existing cluster has its own workers"
            )
        spec = load_sweep(args.sweep)
        the_plan = plan(spec)
        out = args.out if args.out is not None else Path("runs") / "sweeps" / spec.name
        result = run_sweep(
            the_plan,
            out,
            scheduler=args.scheduler,
            n_workers=args.workers,
            progress=not args.no_progress,
            wall_clock=perf_counter,
            connect_timeout_s=args.timeout,
        )
    except ConfigError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    except OSError as e:
        print(f"error: {e.strerror or e} ({e.filename or ''})", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(
            "\ninterrupted: finished tasks are recorded; run the same command again to resume",
            file=sys.stderr,
        )
        return 130
    if spec.plot is not None and result.results_path and not args.no_plot:
        from hftsim.sweep.study import plot_study

        plot_study(result.out_dir)
    _print_outcome(result, spec, quiet=args.no_progress)
    return 1 if result.failures else 0


def _print_outcome(result, spec, quiet: bool) -> None:
    if not quiet and result.summary_path:
        from hftsim.sweep.study import print_summary

        print_summary(result.summary_path, spec)
    wall = f" in {result.wall_s:.1f} s" if result.wall_s is not None else ""
    print(
        f"{result.out_dir}: {result.n_run} tasks run{wall}, {result.n_skipped} already done, "
        f"{len(result.failures)} failed of {result.n_tasks}"
    )
    for f in result.failures:
        print(
            f"failed: task {f.task_id} point {f.point} {f.params} seed index {f.seed_index} "
            f"after {f.attempts} attempts: {f.error.strip().splitlines()[-1]}",
            file=sys.stderr,
        )


if __name__ == "__main__":
    sys.exit(main())
