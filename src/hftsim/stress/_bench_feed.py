"""``feed``: :mod:`hftsim.bench.feed` (150k msgs/s, 1% and 5% bursty loss) when this build has it. Edge.

Kept apart from ``loss`` (which drives the feed's public API at a lower rate over a wider grid) so
the budget's own keys (``feed_unrecovered_1pct``, ``feed_unrecovered_5pct``, ``gap_fill_p99_ms``)
appear in the target table exactly as the benchmark reports them.
"""

from __future__ import annotations

from hftsim.stress.outcome import Outcome
from hftsim.stress.registry import SCENARIOS, Context, require

__all__ = ["run"]


def run(ctx: Context) -> list[Outcome]:
    """Run ``hftsim.bench.feed.run(quick)``; every numeric figure becomes a perf row."""
    module = require("hftsim.bench.feed")
    figures = module.run(quick=ctx.quick)
    out = Outcome("feed", SCENARIOS["feed"].version, ctx.mode)
    out.add_figures(figures)
    out.targets = dict(getattr(module, "TARGETS", {}))
    ctx.log.info("feed: %s", figures)
    return [out]
