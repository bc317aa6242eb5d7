"""Failover suite: the failover drill (primary SIGKILLed N times) as a benchmark. Edge.

``run()`` kills 20 times, ``run(quick=True)`` 3 times; both return the drill's summary
(``kills``, ``takeover_p99_ms``, ``acked_orders_lost``, ``duplicate_executions``,
``digest_mismatches``, ``max_abs_pnl_delta``). Targets: takeover <= 1 s at p99 and zeros elsewhere.
"""

from __future__ import annotations

import tempfile

__all__ = ["TARGETS", "run"]

#: figure -> (comparison, target)
TARGETS = {
    "takeover_p99_ms": ("<=", 1000.0),
    "acked_orders_lost": ("==", 0),
    "duplicate_executions": ("==", 0),
    "digest_mismatches": ("==", 0),
    "max_abs_pnl_delta": ("==", 0),
}


def run(quick: bool = False, seed: int = 7, out_dir: str | None = None) -> dict:
    """Run the failover drill (3 kills when ``quick``, else 20) and return its summary."""
    from hftsim.net.standby.drill import run_drill

    out = out_dir or tempfile.mkdtemp(prefix="hftsim-failover-bench-")
    return run_drill(out, kills=3 if quick else 20, seed=seed)
