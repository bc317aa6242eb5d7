"""``hftsim demo``: the main job on embedded defaults. Edge.

1. Runs the shipped ``default`` scenario: one simulated hour of Hawkes order flow and 200
   zero-intelligence noise traders, with an Avellaneda-Stoikov market maker and an Almgren-Chriss
   buyer trading through their OMS with latency. The run directory (``results/demo/run``) holds the
   event log, L1 quotes and trades as Parquet, ``summary.json``, and the agents' PnL, inventory and
   fills (``agents/``: CSV and PNG).
2. Computes the stylized facts of the run (``results/demo/run/facts``: spreads, signature plot,
   autocorrelations, inter-arrival times; CSV, JSON and PNG) and its market impact
   (``results/demo/run/impact``: response function and propagator, Bouchaud et al. 2004).
3. Runs the matching-engine benchmark (quick size, in its own process) and prints it against its
   targets.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

__all__ = ["add_parser"]


def add_parser(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Register ``demo``."""
    p = subparsers.add_parser(
        "demo",
        help="run the main job on embedded defaults",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument(
        "--out", type=Path, default=Path("results/demo"), help="output directory (default: results/demo)"
    )
    p.add_argument("--seed", type=int, default=None, help="run seed (default: the scenario's)")
    p.add_argument("--scenario", default="default", help="scenario name or TOML path (default: default)")
    p.add_argument("--no-bench", action="store_true", help="skip the engine benchmark")
    p.set_defaults(func=_run)
    return p


def _run(args: argparse.Namespace) -> int:
    import shutil

    from rich.console import Console
    from rich.table import Table

    from hftsim.analytics import compute_facts, summary, write_facts
    from hftsim.analytics.plots import plot_facts
    from hftsim.core.errors import ConfigError
    from hftsim.data.tables import L1_SCHEMA, TRADE_SCHEMA, read_table
    from hftsim.sim import run_scenario

    console = Console()
    run_dir = args.out / "run"
    if run_dir.exists() and (run_dir / "summary.json").exists():
        shutil.rmtree(run_dir)  # a finished earlier demo run: replace it
    try:
        run = run_scenario(
            args.scenario, run_dir, progress=True, seed=args.seed, wall_clock=time.perf_counter
        )
    except ConfigError as e:
        console.print(f"error: {e}")
        return 2
    facts = compute_facts(
        read_table(run_dir / "l1.parquet", L1_SCHEMA), read_table(run_dir / "trades.parquet", TRADE_SCHEMA)
    )
    facts_dir = run_dir / "facts"
    write_facts(facts, facts_dir)
    plots = plot_facts(facts, facts_dir)
    from hftsim.analytics.impact import impact_from_run, write_impact

    impact = impact_from_run(run_dir)
    write_impact(impact, run_dir / "impact")

    table = Table(title="strategies (tick-shares; PnL marked to the final mid)")
    for col in ("agent", "position", "realized", "unrealized", "total PnL", "shortfall (bps)"):
        table.add_column(col, justify="left" if col == "agent" else "right")
    for name, row in run.strategies.get("agents", {}).items():
        pnl, execution = row["pnl"], row.get("execution") or {}
        bps = execution.get("shortfall_bps")
        table.add_row(
            name,
            f"{pnl['position']:,}",
            f"{pnl['realized_ticks']:,}",
            f"{pnl['unrealized_ticks']:,.0f}",
            f"{pnl['total_pnl_ticks']:,.0f}",
            f"{bps:.1f}" if bps is not None else "",
        )
    console.print(table)
    stats = summary(facts)
    facts_table = Table(title="stylized facts (first rows; all in facts/facts.csv)")
    facts_table.add_column("statistic")
    facts_table.add_column("value", justify="right")
    for key, value in list(_flat(stats).items())[:12]:
        facts_table.add_row(key, f"{value:.4g}" if isinstance(value, float) else str(value))
    console.print(facts_table)
    console.print(
        f"impact: R(1) = {impact.response_ticks[1]:.3f}, R(50) = {impact.response_ticks[-1]:.3f} ticks over "
        f"{impact.n_trades:,} aggressive orders; propagator in impact/"
    )
    console.print(f"run directory: {run_dir}  (agents/: PnL and inventory; facts/: {len(plots)} plots)")
    if not args.no_bench:
        import subprocess
        import sys

        # its own process: the benchmark's peak RSS must not include the simulation's
        cmd = [sys.executable, "-m", "hftsim.cli", "bench", "engine", "--quick", "--results", str(args.out)]
        return subprocess.run(cmd, check=False).returncode
    return 0


def _flat(d: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in d.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(_flat(value, f"{name}."))
        elif isinstance(value, (int, float)) and not isinstance(value, bool):
            out[name] = value
    return out
