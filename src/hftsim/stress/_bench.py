"""``bench``: the engine and journal benchmarks (quick sizes) so their budgets join the target table. Edge."""

from __future__ import annotations

from hftsim.stress.outcome import Outcome
from hftsim.stress.registry import SCENARIOS, Context, require

__all__ = ["SUITES", "run"]

SUITES = ("engine", "journal")


def run(ctx: Context) -> list[Outcome]:
    """Run each suite of :data:`SUITES` with ``quick``; figures become perf rows of that suite."""
    outcomes = []
    for suite in SUITES:
        module = require(f"hftsim.bench.{suite}")
        figures = module.run(quick=ctx.quick)
        out = Outcome(
            suite, f"{SCENARIOS['bench'].version}.{getattr(module, 'SCENARIO_VERSION', '1')}", ctx.mode
        )
        out.add_figures(figures)
        out.targets = dict(getattr(module, "TARGETS", {}))
        ctx.log.info("%s: %s", suite, figures)
        outcomes.append(out)
    return outcomes
