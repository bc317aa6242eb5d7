"""``failover``: the failover drill of :mod:`hftsim.bench.failover`, when this build has it. Edge.

The drill's own files (journals, logs) go to ``work/failover/drill`` in the run directory.
"""

from __future__ import annotations

from hftsim.stress.outcome import Outcome
from hftsim.stress.registry import SCENARIOS, Context, require

__all__ = ["run"]


def run(ctx: Context) -> list[Outcome]:
    """Run ``hftsim.bench.failover.run(quick)``; every numeric figure becomes a perf row."""
    module = require("hftsim.bench.failover")
    try:
        figures = module.run(quick=ctx.quick, out_dir=str(ctx.work_dir / "drill"))
    except TypeError:  # an older run() without out_dir
        figures = module.run(quick=ctx.quick)
    out = Outcome("failover", SCENARIOS["failover"].version, ctx.mode)
    out.add_figures(figures)
    out.targets = dict(getattr(module, "TARGETS", {}))
    ctx.log.info("failover: %s", figures)
    return [out]
