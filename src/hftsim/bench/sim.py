"""Benchmark of the simulation kernel. Cold path (edge: reads wall time).

Workload: one symbol, a six-dimensional Hawkes order flow (the ``default`` scenario's) plus 1,000
zero-intelligence traders (the ``zi_1000`` scenario's rates: 0.2 limit and 0.02 market orders per
trader per second, cancellation 0.05 per resting order per second), for one simulated hour (two
minutes with ``quick``). No output files are written: the figure is the kernel's.

What counts as an event: every command delivered to the venue (each flow order and cancel, and
the end-of-session commands) plus every venue event recorded in the event log (accepted, filled
per side, trade, canceled, expired, book delta ...). Timing covers ``Kernel.run`` only: flow
pre-generation, matching, routing, L1 tracking, logging and hashing; not Numba compilation (warmed
first) nor Parquet writing. Reference: ABIDES runs about 14k messages/s.
"""

from __future__ import annotations

import time

from hftsim.sim.kernel import Kernel
from hftsim.sim.scenario import load_scenario, parse_scenario

__all__ = ["run"]


def _workload(duration_s: float) -> dict:
    default = load_scenario("default").raw
    zi = dict(load_scenario("zi_1000").raw["flows"][0], name="zi")
    return {
        "name": "bench_sim",
        "seed": 20240603,
        "session": {"duration_s": duration_s, "block_s": 10},
        "instruments": default["instruments"],
        "flows": [default["flows"][0], zi],
    }


def run(quick: bool = False, seed: int = 20240603) -> dict:
    """Time one session and return its throughput.

    Args:
        quick: two simulated minutes instead of one hour.
        seed: run seed.

    Returns:
        ``events_per_s`` (commands + venue events per wall second of ``Kernel.run``),
        ``commands_per_s``, ``wall_s``, ``n_commands``, ``n_events``, ``sim_s``, ``digest``.
    """
    duration_s = 120.0 if quick else 3600.0
    scenario = parse_scenario(_workload(duration_s), default_name="bench_sim")
    warm = parse_scenario(_workload(1.0), default_name="bench_sim")
    Kernel(warm.instruments, seed, warm.end_ns, flows=warm.build_flows()).run()  # compile Numba kernels
    kernel = Kernel(
        scenario.instruments,
        seed,
        scenario.end_ns,
        flows=scenario.build_flows(),
        block_ns=scenario.block_ns,
        sink=lambda chunk: None,
    )
    start = time.perf_counter()
    result = kernel.run()
    wall_s = time.perf_counter() - start
    return {
        "events_per_s": result.n_total / wall_s,
        "commands_per_s": result.n_commands / wall_s,
        "wall_s": wall_s,
        "n_commands": result.n_commands,
        "n_events": result.n_events,
        "sim_s": duration_s,
        "digest": result.digest,
    }


if __name__ == "__main__":
    import json
    import sys

    print(json.dumps(run(quick="--quick" in sys.argv), indent=2))
